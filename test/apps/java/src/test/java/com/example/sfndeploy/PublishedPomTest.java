package com.example.sfndeploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.example.sfndeploy.TemplateJson.map;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.parsers.DocumentBuilderFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The library's POM asks for aws-cdk-lib and constructs in the ranges of the npm peer dependencies (^2.189.1 is
 * [2.189.1,3.0.0)), not for the newest version at build time: a Java app on any aws-cdk-lib 2.x the npm package
 * accepts is not moved to another (Gradle takes the highest version asked for). Both POMs are read: the one
 * Maven resolves (installed from dist/java by run.sh) and the copy inside the jar.
 */
class PublishedPomTest {
    private static final String POM_IN_JAR =
            "/META-INF/maven/io.github.cdk-stepfunctions-deploy-action/cdk-stepfunctions-deploy-action/pom.xml";
    private static final Path ROOT = Paths.get("..", "..", "..");

    /** ^X.Y.Z of package.json as a Maven range: [X.Y.Z,(X+1).0.0). */
    private static Map<String, String> expectedRanges() throws Exception {
        Map<String, Object> pkg = map(new ObjectMapper().readValue(ROOT.resolve("package.json").toFile(), Map.class));
        Map<String, Object> peers = map(pkg.get("peerDependencies"));
        Map<String, String> ranges = new LinkedHashMap<>();
        ranges.put("software.amazon.awscdk:aws-cdk-lib", caretToMavenRange((String) peers.get("aws-cdk-lib")));
        ranges.put("software.constructs:constructs", caretToMavenRange((String) peers.get("constructs")));
        return ranges;
    }

    private static String caretToMavenRange(String npm) {
        Matcher m = Pattern.compile("\\^(\\d+)\\.(\\d+)\\.(\\d+)").matcher(npm);
        assertTrue(m.matches(), "a caret range in package.json: " + npm);
        return "[" + m.group(1) + "." + m.group(2) + "." + m.group(3) + "," + (Integer.parseInt(m.group(1)) + 1) + ".0.0)";
    }

    private static Map<String, String> dependencyVersions(InputStream pom) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom);
        NodeList deps = doc.getElementsByTagName("dependency");
        Map<String, String> versions = new LinkedHashMap<>();
        for (int i = 0; i < deps.getLength(); i++) {
            Element dep = (Element) deps.item(i);
            versions.put(text(dep, "groupId") + ":" + text(dep, "artifactId"), text(dep, "version"));
        }
        return versions;
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    @Test
    void thePomInTheJarAsksForThePeerDependencyRanges() throws Exception {
        try (InputStream pom = PublishedPomTest.class.getResourceAsStream(POM_IN_JAR)) {
            assertNotNull(pom, POM_IN_JAR + " is in the library's jar");
            Map<String, String> versions = dependencyVersions(pom);
            expectedRanges().forEach((dep, range) -> assertEquals(range, versions.get(dep), dep + " in the jar's POM"));
        }
    }

    @Test
    void thePomMavenResolvesAsksForThePeerDependencyRanges() throws Exception {
        String version = System.getProperty("lib.version", "0.0.0");
        Path pom = ROOT.resolve(Paths.get("dist", "java", "io", "github", "cdk-stepfunctions-deploy-action",
                "cdk-stepfunctions-deploy-action", version, "cdk-stepfunctions-deploy-action-" + version + ".pom"));
        try (InputStream in = Files.newInputStream(pom)) {
            Map<String, String> versions = dependencyVersions(in);
            expectedRanges().forEach((dep, range) -> assertEquals(range, versions.get(dep), dep + " in " + pom));
        }
    }
}
