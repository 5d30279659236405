// Strict validation of Strimzi custom resources against Strimzi's own Java API model
// (io.strimzi:api), for tools/k8s-validate. Run as a single-file program:
//
//   java -cp "<io.strimzi:api and its dependencies>/*" StrimziValidate.java < objects.jsonl
//
// Each input line is {"ref": "...", "apiVersion": "...", "kind": "...", "object": {...}}.
// Prints one line per problem ("<ref>: unknown field \"spec.kafka.foo\"") and exits 1 when
// there is any; exits 0 silently when every object is valid.
//
// Strimzi's model classes keep unknown properties in an "additionalProperties" map (a
// @JsonAnySetter) so the operator tolerates newer fields; for validation that tolerance is
// removed, so every field must be one the model declares.

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

public class StrimziValidate {
  // The kafka.strimzi.io kinds and where io.strimzi:api keeps their model classes.
  private static final Map<String, String> KINDS = Map.of(
      "Kafka", "io.strimzi.api.kafka.model.kafka.Kafka",
      "KafkaNodePool", "io.strimzi.api.kafka.model.nodepool.KafkaNodePool",
      "KafkaTopic", "io.strimzi.api.kafka.model.topic.KafkaTopic",
      "KafkaUser", "io.strimzi.api.kafka.model.user.KafkaUser",
      "KafkaConnect", "io.strimzi.api.kafka.model.connect.KafkaConnect",
      "KafkaConnector", "io.strimzi.api.kafka.model.connector.KafkaConnector",
      "KafkaBridge", "io.strimzi.api.kafka.model.bridge.KafkaBridge",
      "KafkaMirrorMaker2", "io.strimzi.api.kafka.model.mirrormaker2.KafkaMirrorMaker2",
      "KafkaRebalance", "io.strimzi.api.kafka.model.rebalance.KafkaRebalance");
  private static final String API_VERSION = "kafka.strimzi.io/v1";

  public static void main(String[] args) throws IOException {
    List<String> unknown = new ArrayList<>();
    ObjectMapper mapper = strictMapper(unknown);
    ObjectMapper plain = new ObjectMapper();
    List<String> problems = new ArrayList<>();
    int objects = 0;
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      if (line.isBlank()) continue;
      objects++;
      JsonNode input = plain.readTree(line);
      String ref = input.path("ref").asText();
      String kind = input.path("kind").asText();
      String apiVersion = input.path("apiVersion").asText();
      if (!API_VERSION.equals(apiVersion)) {
        problems.add(ref + ": apiVersion " + apiVersion + " is not served by Strimzi 1.x (use "
            + API_VERSION + ")");
        continue;
      }
      String className = KINDS.get(kind);
      if (className == null) {
        problems.add(ref + ": no Strimzi model class known for kind " + kind);
        continue;
      }
      unknown.clear();
      try {
        mapper.readValue(input.get("object").toString(), Class.forName(className));
      } catch (ClassNotFoundException e) {
        problems.add(ref + ": " + className + " is not in io.strimzi:api on the classpath");
        continue;
      } catch (com.fasterxml.jackson.core.JacksonException e) {
        problems.add(ref + ": " + e.getOriginalMessage() + " at " + pathOf(e));
      }
      for (String field : unknown) problems.add(ref + ": unknown field \"" + field + "\"");
    }
    problems.forEach(System.out::println);
    System.err.println("StrimziValidate: " + objects + " object(s), " + problems.size()
        + " problem(s)");
    System.exit(problems.isEmpty() ? 0 : 1);
  }

  private static String pathOf(IOException e) {
    if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m) {
      StringBuilder path = new StringBuilder();
      for (var ref : m.getPath()) {
        if (ref.getFieldName() != null) {
          if (path.length() > 0) path.append('.');
          path.append(ref.getFieldName());
        } else {
          path.append('[').append(ref.getIndex()).append(']');
        }
      }
      return "\"" + path + "\"";
    }
    return "?";
  }

  // Fails on duplicate fields and records (rather than stops at) every unknown field with its
  // path, with the model's any-setters taken away.
  private static ObjectMapper strictMapper(List<String> unknown) {
    ObjectMapper mapper = new ObjectMapper();
    mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    SimpleModule module = new SimpleModule("strict");
    module.setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public BeanDeserializerBuilder updateBuilder(
          DeserializationConfig config, BeanDescription description,
          BeanDeserializerBuilder builder) {
        builder.setAnySetter(null);
        return builder;
      }
    });
    mapper.registerModule(module);
    mapper.addHandler(new DeserializationProblemHandler() {
      @Override
      public boolean handleUnknownProperty(DeserializationContext context, JsonParser parser,
          JsonDeserializer<?> deserializer, Object bean, String name) throws IOException {
        // At an object or array value the parser has already stepped into it.
        JsonStreamContext at = parser.getParsingContext();
        if (parser.currentToken() != null && parser.currentToken().isStructStart()) {
          at = at.getParent();
        }
        unknown.add(pathOf(at));
        parser.skipChildren();
        return true;
      }
    });
    return mapper;
  }

  private static String pathOf(JsonStreamContext context) {
    List<String> parts = new ArrayList<>();
    for (JsonStreamContext at = context; at != null && !at.inRoot(); at = at.getParent()) {
      if (at.inObject()) {
        parts.add(0, "." + at.getCurrentName());
      } else if (at.inArray()) {
        parts.add(0, "[" + at.getCurrentIndex() + "]");
      }
    }
    String path = String.join("", parts);
    return path.startsWith(".") ? path.substring(1) : path;
  }
}
