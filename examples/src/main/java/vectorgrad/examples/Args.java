package vectorgrad.examples;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** {@code --name value} and {@code --flag} options; unknown or malformed ones are a {@link UsageException}. */
public final class Args {
    private final Map<String, String> values = new LinkedHashMap<>();
    private final String command;

    public Args(String command, String[] args, Set<String> valued, Set<String> flags) {
        this.command = command;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new UsageException(command + ": unexpected argument '" + a + "'");
            String name = a.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (value != null) throw new UsageException(command + ": --" + name + " takes no value");
                values.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length) throw new UsageException(command + ": --" + name + " needs a value");
                    value = args[++i];
                }
                values.put(name, value);
            } else {
                throw new UsageException(command + ": unknown option --" + name);
            }
        }
    }

    public boolean flag(String name) {
        return values.containsKey(name);
    }

    public String string(String name, String def) {
        return values.getOrDefault(name, def);
    }

    public long longValue(String name, long def, long min) {
        String v = values.get(name);
        if (v == null) return def;
        long r;
        try {
            r = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects an integer, got '" + v + "'");
        }
        if (r < min) throw new UsageException(command + ": --" + name + " must be >= " + min + ", got " + r);
        return r;
    }

    public double doubleValue(String name, double def) {
        String v = values.get(name);
        if (v == null) return def;
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a number, got '" + v + "'");
        }
    }
}
