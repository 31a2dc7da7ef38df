package vectorgrad.nn;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Modules held in a list, as {@code nn.ModuleList}: registered as children "0", "1", ..., so their
 * parameters are found and named ({@code blocks.0.weight}); no forward of its own — iterate it.
 */
public class ModuleList extends Module implements Iterable<Module> {
    private final List<Module> modules = new ArrayList<>();

    public ModuleList(Module... modules) {
        for (Module m : modules) add(m);
    }

    /** Appends a module (PyTorch's {@code append}). Returns this. */
    public ModuleList add(Module m) {
        registerModule(Integer.toString(modules.size()), m);
        modules.add(m);
        return this;
    }

    public Module get(int i) {
        return modules.get(i);
    }

    /** The module at {@code i} as the type the caller expects. */
    public <M extends Module> M get(int i, Class<M> type) {
        return type.cast(modules.get(i));
    }

    public int size() {
        return modules.size();
    }

    @Override
    public Iterator<Module> iterator() {
        return List.copyOf(modules).iterator();
    }
}
