module quickstart {
    requires vectorgrad.nn;

    // vectorgrad finds a model's parameters in its fields by reflection
    opens quickstart to vectorgrad.nn;
}
