package vectorgrad.nn.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON that safetensors headers need: objects, arrays, strings, numbers, true/false/null.
 * Parsed values are {@code Map<String,Object>} (insertion-ordered), {@code List<Object>}, {@code String},
 * {@code Double} or {@code Long}, {@code Boolean}, or null. Nesting depth is bounded.
 */
final class Json {
    private final String s;
    private int i;
    private int depth;

    private Json(String s) {
        this.s = s;
    }

    static final class ParseError extends Exception {
        final int position;

        ParseError(String message, int position) {
            super(message + " at character " + position);
            this.position = position;
        }
    }

    static Object parse(String text) throws ParseError {
        Json p = new Json(text);
        p.ws();
        Object v = p.value();
        p.ws();
        if (p.i != text.length()) throw new ParseError("unexpected trailing text", p.i);
        return v;
    }

    private void ws() {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
    }

    private Object value() throws ParseError {
        if (i >= s.length()) throw new ParseError("unexpected end", i);
        char c = s.charAt(i);
        if (c == '{') return object();
        if (c == '[') return array();
        if (c == '"') return string();
        if (s.startsWith("true", i)) {
            i += 4;
            return Boolean.TRUE;
        }
        if (s.startsWith("false", i)) {
            i += 5;
            return Boolean.FALSE;
        }
        if (s.startsWith("null", i)) {
            i += 4;
            return null;
        }
        return number();
    }

    private Map<String, Object> object() throws ParseError {
        if (++depth > 16) throw new ParseError("nesting too deep", i);
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == '}') {
            i++;
            depth--;
            return m;
        }
        while (true) {
            ws();
            if (i >= s.length() || s.charAt(i) != '"') throw new ParseError("expected a key", i);
            String k = string();
            ws();
            if (i >= s.length() || s.charAt(i) != ':') throw new ParseError("expected ':'", i);
            i++;
            ws();
            if (m.containsKey(k)) throw new ParseError("duplicate key \"" + k + "\"", i);
            m.put(k, value());
            ws();
            if (i >= s.length()) throw new ParseError("unexpected end in object", i);
            char c = s.charAt(i++);
            if (c == '}') break;
            if (c != ',') throw new ParseError("expected ',' or '}'", i - 1);
        }
        depth--;
        return m;
    }

    private List<Object> array() throws ParseError {
        if (++depth > 16) throw new ParseError("nesting too deep", i);
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (i < s.length() && s.charAt(i) == ']') {
            i++;
            depth--;
            return l;
        }
        while (true) {
            ws();
            l.add(value());
            ws();
            if (i >= s.length()) throw new ParseError("unexpected end in array", i);
            char c = s.charAt(i++);
            if (c == ']') break;
            if (c != ',') throw new ParseError("expected ',' or ']'", i - 1);
        }
        depth--;
        return l;
    }

    private String string() throws ParseError {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) throw new ParseError("unterminated string", i);
            char c = s.charAt(i++);
            if (c == '"') return sb.toString();
            if (c == '\\') {
                if (i >= s.length()) throw new ParseError("unterminated escape", i);
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> sb.append(e);
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'n' -> sb.append('\n');
                    case 'r' -> sb.append('\r');
                    case 't' -> sb.append('\t');
                    case 'u' -> {
                        if (i + 4 > s.length()) throw new ParseError("bad \\u escape", i);
                        try {
                            sb.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
                        } catch (NumberFormatException ex) {
                            throw new ParseError("bad \\u escape", i);
                        }
                        i += 4;
                    }
                    default -> throw new ParseError("bad escape \\" + e, i - 1);
                }
            } else {
                sb.append(c);
            }
        }
    }

    private Object number() throws ParseError {
        int start = i;
        while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) i++;
        String t = s.substring(start, i);
        if (t.isEmpty()) throw new ParseError("unexpected character '" + s.charAt(start) + "'", start);
        try {
            if (t.indexOf('.') < 0 && t.indexOf('e') < 0 && t.indexOf('E') < 0) return Long.parseLong(t);
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new ParseError("bad number '" + t + "'", start);
        }
    }

    /** A JSON string literal. */
    static String quote(String v) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : v.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }
}
