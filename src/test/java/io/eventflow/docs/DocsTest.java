package io.eventflow.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documents cannot drift from the code: README.md, docs/*.md and bench/README.md link only to files and headings
 * that exist (GitHub's anchor rules), docs/configuration.md lists exactly the eventflow.* settings of Spring's
 * configuration metadata with their defaults, and every test a document names exists (with the method it names).
 */
class DocsTest {

    private static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
    private static final Path CONFIGURATION = Path.of("docs/configuration.md");
    private static final Pattern LINK = Pattern.compile("!?\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.+?)\\s*#*\\s*$");
    private static final Pattern SETTING = Pattern.compile("(?<![\\w.])eventflow\\.[a-z0-9-]+(?:\\.[a-z0-9-]+)*");
    private static final Pattern TEST_NAME = Pattern.compile("(?<![@\\w])([A-Z][a-z][A-Za-z0-9]*(?:Test|IT))\\b(?:\\.([a-z][A-Za-z0-9]*))?");

    @Test
    void everyRelativeLinkAndAnchorResolves() {
        List<String> broken = new ArrayList<>();
        for (Path doc : documents()) {
            for (String target : links(doc)) {
                if (target.matches("^[a-z][a-z0-9+.-]*:.*")) {
                    continue;
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? doc : doc.toAbsolutePath().getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(doc + ": " + target + " (no file " + resolved + ")");
                } else if (hash >= 0 && !anchors(resolved).contains(target.substring(hash + 1))) {
                    broken.add(doc + ": " + target + " (no heading with that anchor in " + resolved.getFileName() + ")");
                }
            }
        }
        assertThat(broken).as("links that do not resolve").isEmpty();
    }

    @Test
    void configurationListsEveryEventflowSettingOfTheMetadataWithItsDefault() throws IOException {
        Map<String, JsonNode> metadata = new TreeMap<>();
        for (JsonNode property : new ObjectMapper().readTree(METADATA.toFile()).get("properties")) {
            String name = property.get("name").asText();
            if (name.startsWith("eventflow.")) {
                metadata.put(name, property.get("defaultValue"));
            }
        }
        assertThat(metadata).as("settings in " + METADATA + " (run the build first)").isNotEmpty();

        Map<String, String> documented = documentedSettings();
        Set<String> named = new LinkedHashSet<>();
        Matcher setting = SETTING.matcher(read(CONFIGURATION));
        while (setting.find()) {
            named.add(setting.group());
        }
        assertThat(documented.keySet()).as("settings missing from the tables of " + CONFIGURATION).containsAll(metadata.keySet());
        assertThat(named).as("settings named in " + CONFIGURATION + " that the metadata does not have").isSubsetOf(metadata.keySet());

        Map<String, String> wrongDefaults = new TreeMap<>();
        metadata.forEach((name, value) -> {
            if (value != null && !value.isNull() && !defaultText(value).equals(normalised(documented.get(name)))) {
                wrongDefaults.put(name, "documented " + documented.get(name) + ", metadata " + value);
            }
        });
        assertThat(wrongDefaults).as("defaults in " + CONFIGURATION + " that differ from the metadata").isEmpty();
    }

    @Test
    void everyTestTheDocumentsNameExists() {
        Map<String, Path> tests = new HashMap<>();
        try (Stream<Path> files = Files.walk(Path.of("src/test/java"))) {
            files.filter(file -> file.toString().endsWith(".java"))
                    .forEach(file -> tests.put(file.getFileName().toString().replace(".java", ""), file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> missing = new ArrayList<>();
        for (Path doc : documents()) {
            for (String code : codeSpans(doc)) {
                Matcher name = TEST_NAME.matcher(code);
                while (name.find()) {
                    Path source = tests.get(name.group(1));
                    if (source == null) {
                        missing.add(doc + ": " + name.group(1));
                    } else if (name.group(2) != null && !Pattern.compile("void " + name.group(2)).matcher(read(source)).find()) {
                        missing.add(doc + ": " + name.group() + " (no test method of " + source.getFileName() + " starts so)");
                    }
                }
            }
        }
        assertThat(missing).as("tests named in the documents that are not under src/test/java").isEmpty();
    }

    /** The documents checked: the README, every page of docs/ and the benchmark's pointer. */
    private static List<Path> documents() {
        List<Path> documents = new ArrayList<>(List.of(Path.of("README.md"), Path.of("bench/README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(file -> file.toString().endsWith(".md")).sorted().forEach(documents::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return documents;
    }

    private static List<String> links(Path doc) {
        List<String> links = new ArrayList<>();
        Matcher link = LINK.matcher(prose(doc));
        while (link.find()) {
            links.add(link.group(1));
        }
        return links;
    }

    /** GitHub's anchors of a file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
    static Set<String> anchors(Path file) {
        Set<String> anchors = new LinkedHashSet<>();
        if (!file.toString().endsWith(".md")) {
            return anchors;
        }
        Map<String, Integer> seen = new HashMap<>();
        for (String line : outsideFences(read(file))) {
            Matcher heading = HEADING.matcher(line);
            if (heading.matches()) {
                String text = heading.group(1).replaceAll("!?\\[([^\\]]*)\\]\\([^)]*\\)", "$1").replaceAll("<[^>]+>", "");
                String slug = text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{M}\\p{N}\\p{Pc} -]", "").replace(' ', '-');
                int repeat = seen.merge(slug, 1, Integer::sum) - 1;
                anchors.add(repeat == 0 ? slug : slug + "-" + repeat);
            }
        }
        return anchors;
    }

    /** Setting name → default cell of the tables of docs/configuration.md whose first column names one setting. */
    private static Map<String, String> documentedSettings() {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String line : outsideFences(read(CONFIGURATION))) {
            String[] cells = line.split("(?<!\\\\)\\|");
            if (line.startsWith("|") && cells.length > 3) {
                Matcher name = Pattern.compile("^\\s*`(eventflow\\.[^`]+)`").matcher(cells[1]);
                if (name.find()) {
                    settings.put(name.group(1), cells[2].trim());
                }
            }
        }
        return settings;
    }

    /** A metadata default as the table writes it: lists ("[a, b]") comma-separated, booleans in lower case, "" as "empty". */
    private static String defaultText(JsonNode value) {
        String text = value.isArray()
                ? StreamSupport.stream(value.spliterator(), false).map(JsonNode::asText).collect(Collectors.joining(","))
                : value.asText().replaceAll("^\\[(.*)\\]$", "$1").replaceAll(",\\s+", ",");
        return text.isEmpty() ? "empty" : text.toLowerCase(Locale.ROOT);
    }

    /** A default cell's value: its first code span (what follows it explains), or the whole cell. */
    private static String normalised(String cell) {
        if (cell == null) {
            return null;
        }
        Matcher code = Pattern.compile("`([^`]*)`").matcher(cell);
        return (code.find() ? code.group(1) : cell).replaceAll(",\\s+", ",").trim().toLowerCase(Locale.ROOT);
    }

    /** The text outside fenced code blocks and inline code, where links and names are prose. */
    private static String prose(Path doc) {
        return String.join("\n", outsideFences(read(doc))).replaceAll("`[^`\\n]*`", "``");
    }

    private static List<String> codeSpans(Path doc) {
        List<String> spans = new ArrayList<>();
        Matcher span = Pattern.compile("`([^`\\n]+)`").matcher(String.join("\n", outsideFences(read(doc))));
        while (span.find()) {
            spans.add(span.group(1));
        }
        return spans;
    }

    private static List<String> outsideFences(String text) {
        List<String> lines = new ArrayList<>();
        boolean fenced = false;
        for (String line : text.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
