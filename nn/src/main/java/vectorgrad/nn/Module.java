package vectorgrad.nn;

import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import vectorgrad.autograd.Tensor;
import vectorgrad.autograd.internal.Shapes;

/**
 * Base class of models and layers, as {@code torch.nn.Module}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Discovery.</b> Non-static fields of type {@link Parameter} or {@code Module} are this module's
 *       parameters and children, named after the field, in declaration order, superclass fields first;
 *       then those added with {@link #registerParameter} / {@link #registerModule} (how lists of modules,
 *       such as {@code Sequential}'s "0", "1", ..., are named). A null field is skipped.</li>
 *   <li><b>Names</b> are PyTorch's dotted paths: {@code f.alpha}, {@code f.0.weight}.</li>
 *   <li><b>Modes.</b> {@link #train(boolean)} and {@link #eval()} set the flag on this module and every
 *       descendant; layers such as dropout read {@link #isTraining()}.</li>
 *   <li>{@link #zeroGrad()} sets every parameter's gradient to null (PyTorch's {@code set_to_none=True}).</li>
 * </ul>
 * The forward method is the subclass's own, with whatever arguments it needs: {@code forward(x, y)}.
 */
public abstract class Module {
    private final Map<String, Parameter> registeredParameters = new LinkedHashMap<>();
    private final Map<String, Module> registeredModules = new LinkedHashMap<>();
    private final Map<String, Tensor> buffers = new LinkedHashMap<>();
    private final Set<String> nonPersistentBuffers = new java.util.HashSet<>();
    private boolean training = true;

    private static final Map<Class<?>, List<Field>> FIELDS = new ConcurrentHashMap<>();

    /** Adds a parameter under {@code name} (for parameters not held in a field). Returns it. */
    protected Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        registeredParameters.put(name, p);
        return p;
    }

    /** Adds a child module under {@code name} (for modules held in lists). Returns it. */
    protected <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        registeredModules.put(name, m);
        return m;
    }

    /**
     * Adds a buffer: a tensor that is part of the module's state but not a parameter (batch norm's
     * running statistics), as {@code register_buffer(name, tensor, persistent)}. Persistent buffers are
     * saved in {@link #stateDict()} and loaded by {@link #loadStateDict}; a null tensor reserves the name.
     * Buffers do not require grad; update them in place under {@code Tensor.noGrad()}.
     */
    protected Tensor registerBuffer(String name, Tensor tensor, boolean persistent) {
        checkName(name);
        if (tensor != null && tensor.requiresGrad())
            throw new IllegalArgumentException(
                    "buffer \"" + name + "\" must not require grad (register it as a Parameter)");
        buffers.put(name, tensor);
        if (persistent) nonPersistentBuffers.remove(name);
        else nonPersistentBuffers.add(name);
        return tensor;
    }

    /** {@link #registerBuffer(String, Tensor, boolean)} with {@code persistent = true}. */
    protected Tensor registerBuffer(String name, Tensor tensor) {
        return registerBuffer(name, tensor, true);
    }

    /** This module's own buffer {@code name} (null when reserved but unset). */
    public Tensor getBuffer(String name) {
        if (!buffers.containsKey(name))
            throw new IllegalArgumentException(getClass().getSimpleName() + " has no buffer \"" + name + "\"");
        return buffers.get(name);
    }

    /** Every buffer of this module and its descendants under its dotted name (unset ones skipped). */
    public Map<String, Tensor> namedBuffers() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            String prefix = m.getKey().isEmpty() ? "" : m.getKey() + ".";
            m.getValue().buffers.forEach((k, v) -> {
                if (v != null) out.put(prefix + k, v);
            });
        }
        return out;
    }

    public List<Tensor> buffers() {
        return List.copyOf(namedBuffers().values());
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException(
                    "module/parameter name can't be empty or contain \".\", got \"" + name + "\"");
        }
    }

    private static List<Field> fieldsOf(Class<?> c) {
        return FIELDS.computeIfAbsent(c, cls -> {
            List<Class<?>> chain = new ArrayList<>();
            for (Class<?> k = cls; k != null && k != Module.class && k != Object.class; k = k.getSuperclass())
                chain.add(k);
            Collections.reverse(chain);
            List<Field> out = new ArrayList<>();
            for (Class<?> k : chain) {
                for (Field f : k.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) continue;
                    if (!Parameter.class.isAssignableFrom(f.getType()) && !Module.class.isAssignableFrom(f.getType()))
                        continue;
                    try {
                        f.setAccessible(true);
                    } catch (InaccessibleObjectException e) {
                        throw new IllegalStateException(
                                "cannot read field " + k.getName() + "." + f.getName()
                                        + " to find parameters: open its package to vectorgrad.nn (in module-info.java: opens "
                                        + k.getPackageName()
                                        + " to vectorgrad.nn;) or register it with registerParameter/registerModule",
                                e);
                    }
                    out.add(f);
                }
            }
            return List.copyOf(out);
        });
    }

    private Object read(Field f) {
        try {
            return f.get(this);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(
                    "cannot read field " + f.getName() + " of " + getClass().getName(), e);
        }
    }

    /** This module's own parameters (not its children's), by name. */
    public Map<String, Parameter> namedDirectParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Field f : fieldsOf(getClass())) {
            if (Parameter.class.isAssignableFrom(f.getType())) {
                Object v = read(f);
                if (v != null) out.put(f.getName(), (Parameter) v);
            }
        }
        out.putAll(registeredParameters);
        return out;
    }

    /** Direct children by name. */
    public Map<String, Module> namedChildren() {
        Map<String, Module> out = new LinkedHashMap<>();
        for (Field f : fieldsOf(getClass())) {
            if (Module.class.isAssignableFrom(f.getType())) {
                Object v = read(f);
                if (v != null) out.put(f.getName(), (Module) v);
            }
        }
        out.putAll(registeredModules);
        return out;
    }

    /** Every parameter of this module and its descendants under its dotted name; each tensor once. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out, Set<Tensor> seen, Set<Module> visiting) {
        if (!visiting.add(this)) return;
        for (Map.Entry<String, Parameter> e : namedDirectParameters().entrySet()) {
            if (seen.add(e.getValue())) out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, seen, visiting);
        }
    }

    public List<Parameter> parameters() {
        return List.copyOf(namedParameters().values());
    }

    /** This module and every descendant, by dotted name ("" for this one). */
    public Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", out);
        return out;
    }

    private void collectModules(String name, Map<String, Module> out) {
        if (out.containsValue(this)) return;
        out.put(name, this);
        for (Map.Entry<String, Module> e : namedChildren().entrySet()) {
            e.getValue().collectModules(name.isEmpty() ? e.getKey() : name + "." + e.getKey(), out);
        }
    }

    /** Sets training mode here and in every descendant. Returns this. */
    public Module train(boolean mode) {
        for (Module m : namedModules().values()) m.training = mode;
        return this;
    }

    public Module train() {
        return train(true);
    }

    public Module eval() {
        return train(false);
    }

    public boolean isTraining() {
        return training;
    }

    /**
     * Sets every parameter's gradient to null and returns its memory to the native cache (see
     * {@code Optimizer.zeroGrad()}: copy a gradient first to keep it).
     */
    public void zeroGrad() {
        for (Parameter p : parameters()) {
            Tensor g = p.grad();
            p.setGrad(null);
            if (g != null) g.close();
        }
    }

    /**
     * The parameters and persistent buffers by name, as tensors sharing their memory (PyTorch's
     * {@code state_dict()}): module by module, each one's parameters, then its buffers, then its children.
     */
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateTensors().entrySet()) {
            Tensor t = e.getValue();
            out.put(e.getKey(), t instanceof Parameter ? t.detach() : t);
        }
        return out;
    }

    /** Parameters (each tensor once) and persistent buffers in state-dict order, unwrapped. */
    private Map<String, Tensor> stateTensors() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        Set<Tensor> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Map.Entry<String, Module> m : namedModules().entrySet()) {
            String prefix = m.getKey().isEmpty() ? "" : m.getKey() + ".";
            Module mod = m.getValue();
            mod.namedDirectParameters().forEach((k, v) -> {
                if (seen.add(v)) out.put(prefix + k, v);
            });
            mod.buffers.forEach((k, v) -> {
                if (v != null && !mod.nonPersistentBuffers.contains(k)) out.put(prefix + k, v);
            });
        }
        return out;
    }

    /**
     * Copies values into the parameters and persistent buffers by name. {@code strict}: every key must
     * match, both ways. Shapes must match; the error names every offending key.
     */
    public void loadStateDict(Map<String, Tensor> state, boolean strict) {
        Map<String, Tensor> own = stateTensors();
        List<String> problems = new ArrayList<>();
        if (strict) {
            for (String k : own.keySet()) if (!state.containsKey(k)) problems.add("missing key \"" + k + "\"");
            for (String k : state.keySet()) if (!own.containsKey(k)) problems.add("unexpected key \"" + k + "\"");
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor p = own.get(e.getKey());
            if (p != null && !java.util.Arrays.equals(p.shape(), e.getValue().shape())) {
                problems.add("size mismatch for " + e.getKey() + ": copying a param with shape "
                        + Shapes.str(e.getValue().shape()) + ", the shape in current model is "
                        + Shapes.str(p.shape()));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Error(s) in loading state_dict for "
                    + getClass().getSimpleName() + ": " + String.join("; ", problems));
        }
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor p = own.get(e.getKey());
            if (p == null) continue;
            if (p instanceof Parameter) p.setData(e.getValue());
            else if (p.dtype() == e.getValue().dtype()) p.copy_(e.getValue());
            else
                try (Tensor converted = e.getValue().to(p.dtype())) {
                    p.copy_(converted);
                }
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(getClass().getSimpleName()).append('(');
        Map<String, Module> children = namedChildren();
        if (children.isEmpty()) return sb.append(extraRepr()).append(')').toString();
        sb.append('\n');
        for (Map.Entry<String, Module> e : children.entrySet()) {
            String child = e.getValue().toString().replace("\n", "\n  ");
            sb.append("  (").append(e.getKey()).append("): ").append(child).append('\n');
        }
        return sb.append(')').toString();
    }

    /** Extra text inside this module's repr, e.g. "in_features=9216, out_features=128". */
    protected String extraRepr() {
        return "";
    }
}
