// vectorgrad in JShell: `./vectorgrad jshell` loads this, then type the textbook's examples line by line.
// The walkthrough in the README is textbook1.jsh beside this file (`/open examples/jshell/textbook1.jsh`).
import vectorgrad.autograd.*;
import vectorgrad.nn.*;
import vectorgrad.nn.Module; // not java.lang.Module
import vectorgrad.nn.layers.*;
import vectorgrad.nn.optim.*;
import vectorgrad.nn.data.*;
import vectorgrad.nn.train.*;
import vectorgrad.examples.*;
import java.time.Duration;
System.out.println("vectorgrad loaded: Tensor, Module, Parameter, Adam, TrainingRun, DataLoader, Mnist, MnistClassifier (README: JShell)");
