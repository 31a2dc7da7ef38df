package vectorgrad.nn.optim;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import vectorgrad.autograd.Tensor;

/**
 * Parameter groups to give an optimizer where it takes parameters: {@code new SGD(ParamGroups.of(a, b),
 * 0.1)}. Iterated, it gives every group's parameters in order, so it also fits where any parameters do
 * ({@code clipGradNorm_}, say).
 */
public final class ParamGroups implements Iterable<Tensor> {
    private final List<ParamGroup> groups;

    private ParamGroups(List<ParamGroup> groups) {
        if (groups.isEmpty()) throw new IllegalArgumentException("optimizer got an empty list of parameter groups");
        this.groups = List.copyOf(groups);
    }

    public static ParamGroups of(ParamGroup... groups) {
        return new ParamGroups(List.of(groups));
    }

    public static ParamGroups of(List<ParamGroup> groups) {
        return new ParamGroups(groups);
    }

    public List<ParamGroup> groups() {
        return groups;
    }

    @Override
    public Iterator<Tensor> iterator() {
        List<Tensor> all = new ArrayList<>();
        for (ParamGroup g : groups) all.addAll(g.params());
        return all.iterator();
    }
}
