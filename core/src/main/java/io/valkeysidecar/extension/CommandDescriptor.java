package io.valkeysidecar.extension;

import io.valkeysidecar.resp.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The COMMAND-table entry of a sidecar command, in Valkey's own shape so clients that read COMMAND
 * (cluster routers, Lettuce's command introspection) treat it like any other command.
 *
 * @param arity   Valkey convention: positive = exact argument count including the name, negative = minimum
 * @param firstKey position of the first key (0 = no keys)
 */
public record CommandDescriptor(String name, int arity, List<String> flags, int firstKey, int lastKey, int step,
                                List<String> aclCategories) {

    public CommandDescriptor {
        name = name.toLowerCase(Locale.ROOT);
        flags = List.copyOf(flags);
        aclCategories = List.copyOf(aclCategories);
    }

    /** The 10-element entry Valkey 7+ returns from COMMAND INFO. */
    public Reply toReply() {
        List<Reply> flagReplies = new ArrayList<>();
        flags.forEach(f -> flagReplies.add(Reply.simple(f)));
        List<Reply> categories = new ArrayList<>();
        aclCategories.forEach(c -> categories.add(Reply.simple("@" + c)));
        return Reply.array(
                Reply.bulk(name),
                Reply.integer(arity),
                new Reply.SetReply(flagReplies),
                Reply.integer(firstKey),
                Reply.integer(lastKey),
                Reply.integer(step),
                new Reply.SetReply(categories),
                new Reply.SetReply(List.of()),
                Reply.array(List.of()),
                Reply.array(List.of()));
    }
}
