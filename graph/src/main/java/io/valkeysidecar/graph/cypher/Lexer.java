package io.valkeysidecar.graph.cypher;

import java.util.ArrayList;
import java.util.List;

/** Splits Cypher text into tokens, each remembering its offset so errors can name the position. */
final class Lexer {

    enum Type { IDENT, QUOTED_IDENT, STRING, INTEGER, FLOAT, PARAM, SYMBOL, EOF }

    static final class Token {
        final Type type;
        final String text;
        final Object value;
        final int start;
        final int end;

        Token(Type type, String text, Object value, int start, int end) {
            this.type = type;
            this.text = text;
            this.value = value;
            this.start = start;
            this.end = end;
        }

        boolean is(String symbolOrKeyword) {
            return (type == Type.SYMBOL && text.equals(symbolOrKeyword))
                    || (type == Type.IDENT && text.equalsIgnoreCase(symbolOrKeyword));
        }
    }

    private static final String[] TWO_CHAR = {"<>", "<=", ">=", "=~", "+=", "..", "!="};

    private final String src;
    private int pos;

    private Lexer(String src) {
        this.src = src;
    }

    /** A token list that lexes on demand, so splitting off a parameter prefix does not lex the query behind it. */
    static final class Stream {
        private final Lexer lexer;
        private final List<Token> tokens = new ArrayList<>();

        Stream(String src) {
            this.lexer = new Lexer(src);
        }

        Token get(int i) {
            while (tokens.size() <= i) {
                if (!tokens.isEmpty() && tokens.get(tokens.size() - 1).type == Type.EOF) {
                    return tokens.get(tokens.size() - 1);
                }
                tokens.add(lexer.next());
            }
            return tokens.get(i);
        }
    }

    private Token next() {
        skipSpaceAndComments();
        if (pos >= src.length()) {
            return new Token(Type.EOF, "", null, pos, pos);
        }
        int start = pos;
        char c = src.charAt(pos);
        if (Character.isLetter(c) || c == '_') {
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            return new Token(Type.IDENT, src.substring(start, pos), null, start, pos);
        }
        if (c == '`') {
            int close = src.indexOf('`', pos + 1);
            if (close < 0) {
                throw Parser.error(src, start, "unterminated `quoted` identifier");
            }
            pos = close + 1;
            return new Token(Type.QUOTED_IDENT, src.substring(start + 1, close), null, start, pos);
        }
        if (Character.isDigit(c) || (c == '.' && pos + 1 < src.length() && Character.isDigit(src.charAt(pos + 1)))) {
            return number(start);
        }
        if (c == '\'' || c == '"') {
            return string(start, c);
        }
        if (c == '$') {
            pos++;
            int nameStart = pos;
            while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) {
                pos++;
            }
            if (pos == nameStart) {
                throw Parser.error(src, start, "expected a parameter name after '$'");
            }
            return new Token(Type.PARAM, src.substring(nameStart, pos), null, start, pos);
        }
        for (String two : TWO_CHAR) {
            if (src.startsWith(two, pos)) {
                pos += 2;
                return new Token(Type.SYMBOL, two.equals("!=") ? "<>" : two, null, start, pos);
            }
        }
        if ("()[]{},.:;|+-*/%^=<>".indexOf(c) >= 0) {
            pos++;
            return new Token(Type.SYMBOL, String.valueOf(c), null, start, pos);
        }
        throw Parser.error(src, start, "Invalid input '" + c + "'");
    }

    private void skipSpaceAndComments() {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (src.startsWith("//", pos)) {
                while (pos < src.length() && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (src.startsWith("/*", pos)) {
                int end = src.indexOf("*/", pos + 2);
                pos = end < 0 ? src.length() : end + 2;
            } else {
                return;
            }
        }
    }

    private Token number(int start) {
        if (src.startsWith("0x", pos) || src.startsWith("0X", pos)) {
            pos += 2;
            while (pos < src.length() && Character.digit(src.charAt(pos), 16) >= 0) {
                pos++;
            }
            return new Token(Type.INTEGER, src.substring(start, pos), Long.parseLong(src.substring(start + 2, pos), 16),
                    start, pos);
        }
        boolean isFloat = false;
        while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
            pos++;
        }
        // "1..3" is a range, not the float "1." followed by ".3"
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                pos++;
            }
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int save = pos;
            pos++;
            if (pos < src.length() && (src.charAt(pos) == '+' || src.charAt(pos) == '-')) {
                pos++;
            }
            if (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                isFloat = true;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) {
                    pos++;
                }
            } else {
                pos = save;
            }
        }
        String text = src.substring(start, pos);
        if (isFloat) {
            return new Token(Type.FLOAT, text, Double.parseDouble(text), start, pos);
        }
        try {
            return new Token(Type.INTEGER, text, Long.parseLong(text), start, pos);
        } catch (NumberFormatException e) {
            throw Parser.error(src, start, "integer literal out of range: " + text);
        }
    }

    private Token string(int start, char quote) {
        StringBuilder sb = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) {
                throw Parser.error(src, start, "unterminated string literal");
            }
            char c = src.charAt(pos++);
            if (c == quote) {
                break;
            }
            if (c == '\\' && pos < src.length()) {
                char e = src.charAt(pos++);
                switch (e) {
                    case 'n' -> sb.append('\n');
                    case 't' -> sb.append('\t');
                    case 'r' -> sb.append('\r');
                    case 'b' -> sb.append('\b');
                    case 'f' -> sb.append('\f');
                    case 'u' -> {
                        if (pos + 4 > src.length()) {
                            throw Parser.error(src, pos - 2, "invalid unicode escape");
                        }
                        sb.append((char) Integer.parseInt(src.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    case '\\', '\'', '"', '`' -> sb.append(e);
                    // clients such as Jedis escape only quotes: any other backslash is kept as written
                    default -> sb.append('\\').append(e);
                }
            } else {
                sb.append(c);
            }
        }
        return new Token(Type.STRING, src.substring(start, pos), sb.toString(), start, pos);
    }
}
