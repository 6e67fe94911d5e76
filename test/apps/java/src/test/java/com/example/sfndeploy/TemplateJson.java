package com.example.sfndeploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;

/** Reading a synthesized template's values in the app tests: maps, lists, and JSON string properties. */
final class TemplateJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKEN = "<token>";

    private TemplateJson() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    /** A JSON string property, parsed: a plain string, or an Fn::Join whose tokens become placeholders. */
    static Map<String, Object> parseJsonValue(Object value) throws Exception {
        if (value instanceof String) {
            return map(JSON.readValue((String) value, Map.class));
        }
        Map<String, Object> join = map(value);
        assertEquals(Set.of("Fn::Join"), join.keySet());
        List<Object> args = list(join.get("Fn::Join"));
        String separator = (String) args.get(0);
        String text = list(args.get(1)).stream()
                .map(part -> part instanceof String ? (String) part : TOKEN)
                .collect(Collectors.joining(separator));
        return map(JSON.readValue(text, Map.class));
    }
}
