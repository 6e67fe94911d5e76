package com.example.sfndeploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.example.sfndeploy.TemplateJson.list;
import static com.example.sfndeploy.TemplateJson.map;
import static com.example.sfndeploy.TemplateJson.parseJsonValue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java quick start, as a user runs it: run.sh writes its block, untouched, into src/readme/java
 * (test/apps/readme_quickstart.py), Maven compiles it with the app, and this test runs its main() in a JVM of its
 * own with CDK_OUTDIR set, as {@code cdk synth} does, then reads the template it wrote.
 */
class ReadmeQuickStartTest {
    private static final Path README_SOURCES = Paths.get("src", "readme", "java");

    @TempDir
    static Path outdir;

    private static Map<String, Object> template;

    @BeforeAll
    static void synthesize() throws Exception {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(README_SOURCES)) {
            sources = files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList());
        }
        assertEquals(1, sources.size(), "one README quick start in " + README_SOURCES + " (test/apps/run.sh writes it)");
        String mainClass = README_SOURCES.relativize(sources.get(0)).toString()
                .replace(".java", "").replace(File.separatorChar, '.');
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path javaBin = Paths.get(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder run = new ProcessBuilder(javaBin.toString(), "-cp", classpath, mainClass)
                .redirectErrorStream(true);
        run.environment().put("CDK_OUTDIR", outdir.toString());
        Process process = run.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the quick start did not end in 5 minutes");
        assertEquals(0, process.exitValue(), "the README's Java quick start " + mainClass + " failed:\n" + output);

        ObjectMapper json = new ObjectMapper();
        Map<String, Object> manifest = map(json.readValue(outdir.resolve("manifest.json").toFile(), Map.class));
        List<String> stacks = map(manifest.get("artifacts")).entrySet().stream()
                .filter(e -> "aws:cloudformation:stack".equals(map(e.getValue()).get("type")))
                .map(Map.Entry::getKey).collect(Collectors.toList());
        assertEquals(List.of("PipelineStack"), stacks);
        String templateFile = (String) map(map(map(manifest.get("artifacts")).get("PipelineStack")).get("properties"))
                .get("templateFile");
        template = map(json.readValue(outdir.resolve(templateFile).toFile(), Map.class));
    }

    private static Map<String, Map<String, Object>> resources(String type) {
        Map<String, Map<String, Object>> found = new LinkedHashMap<>();
        map(template.get("Resources")).forEach((id, r) -> {
            if (type.equals(map(r).get("Type"))) {
                found.put(id, map(r));
            }
        });
        return found;
    }

    @Test
    void synthesizesThePipelineWithTheSourceAndTheDeployAction() throws Exception {
        Map<String, Map<String, Object>> pipelines = resources("AWS::CodePipeline::Pipeline");
        assertEquals(1, pipelines.size());
        Map<String, List<Object>> stages = new LinkedHashMap<>();
        for (Object s : list(map(pipelines.values().iterator().next().get("Properties")).get("Stages"))) {
            stages.put((String) map(s).get("Name"), list(map(s).get("Actions")));
        }
        assertEquals(List.of("Source", "Prod"), new ArrayList<>(stages.keySet()));
        assertEquals("S3", map(map(stages.get("Source").get(0)).get("ActionTypeId")).get("Provider"));
        assertEquals(1, stages.get("Prod").size());
        Map<String, Object> deploy = map(stages.get("Prod").get(0));
        assertEquals("Deploy", deploy.get("Name"));
        assertEquals(Map.of("Category", "Invoke", "Owner", "AWS", "Provider", "Lambda", "Version", "1"), deploy.get("ActionTypeId"));
        Map<String, Object> params = parseJsonValue(map(deploy.get("Configuration")).get("UserParameters"));
        assertEquals("app", params.get("stackName"));
        assertEquals("prod", params.get("environmentName"));
        assertEquals("infra/app.yaml", params.get("templatePath"));
        assertEquals(Map.of("type", "rules", "defaultVerdict", "ALLOW", "rules", List.of(
                Map.of("verdict", "ALLOW", "resourceTypes", List.of("AWS::Lambda::Version")),
                Map.of("verdict", "DENY", "actions", List.of("Remove")))), params.get("policy"));
    }

    @Test
    void synthesizesTheDeployWorkflow() {
        assertEquals(1, resources("AWS::StepFunctions::StateMachine").size());
        for (Map<String, Object> fn : resources("AWS::Lambda::Function").values()) {
            assertEquals("nodejs22.x", map(fn.get("Properties")).get("Runtime"));
        }
    }
}
