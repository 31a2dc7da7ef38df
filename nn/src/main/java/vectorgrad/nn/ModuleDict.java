package vectorgrad.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Modules held by name, in insertion order, as {@code nn.ModuleDict}: registered as children under their
 * keys, so parameters are named {@code heads.age.weight}.
 */
public class ModuleDict extends Module {
    private final Map<String, Module> modules = new LinkedHashMap<>();

    public ModuleDict() {}

    public ModuleDict(Map<String, ? extends Module> modules) {
        modules.forEach(this::put);
    }

    /** Adds or replaces the module under {@code key}. Returns this. */
    public ModuleDict put(String key, Module m) {
        registerModule(key, m);
        modules.put(key, m);
        return this;
    }

    public Module get(String key) {
        Module m = modules.get(key);
        if (m == null)
            throw new IllegalArgumentException(
                    "ModuleDict has no key \"" + key + "\" (keys: " + modules.keySet() + ")");
        return m;
    }

    public boolean containsKey(String key) {
        return modules.containsKey(key);
    }

    public Set<String> keys() {
        return java.util.Collections.unmodifiableSet(modules.keySet());
    }

    public int size() {
        return modules.size();
    }
}
