package com.example.sfndeploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.example.sfndeploy.TemplateJson.TOKEN;
import static com.example.sfndeploy.TemplateJson.list;
import static com.example.sfndeploy.TemplateJson.map;
import static com.example.sfndeploy.TemplateJson.parseJsonValue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.github.cdksfndeploy.ChangeAction;
import io.github.cdksfndeploy.ChangeEvaluation;
import io.github.cdksfndeploy.ChangeSetEvaluation;
import io.github.cdksfndeploy.FromRulesOptions;
import io.github.cdksfndeploy.Replacement;
import io.github.cdksfndeploy.RuleVerdict;
import io.github.cdksfndeploy.SafetyPolicy;
import io.github.cdksfndeploy.SafetyRule;
import io.github.cdksfndeploy.StackToDeploy;
import io.github.cdksfndeploy.StepFunctionsDeployAction;
import io.github.cdksfndeploy.StepFunctionsDeployActionProps;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.assertions.Match;
import software.amazon.awscdk.assertions.Template;
import software.amazon.awscdk.cxapi.CloudAssembly;
import software.amazon.awscdk.services.codepipeline.ActionCategory;
import software.amazon.awscdk.services.codepipeline.Artifact;

/** JUnit checks of the Java app (PipelineApp) against the jar built by jsii-pacmak. */
class PipelineAppTest {

    private static final List<Map<String, Object>> EXPECTED_RULES = List.of(
            Map.of("verdict", "ALLOW", "resourceTypes", List.of("AWS::Lambda::Version")),
            Map.of("verdict", "REQUIRE_APPROVAL", "resourceTypes", List.of("AWS::IAM::*")),
            Map.of("verdict", "DENY", "actions", List.of("Remove")),
            Map.of("verdict", "DENY", "replacements", List.of("True", "Conditional"), "description", "no replacement"),
            Map.of("verdict", "DENY", "policyActions", List.of("Delete"), "logicalIds", List.of("Db*")),
            Map.of("verdict", "ALLOW", "actions", List.of("Add", "Modify")));

    @TempDir
    static Path outdir;

    private static PipelineApp.PipelineStack stack;
    private static Template template;
    private static CloudAssembly assembly;

    @BeforeAll
    static void synthesize() {
        App app = PipelineApp.newApp(outdir.toString());
        stack = PipelineApp.buildStack(app, null);
        assembly = app.synth();
        template = Template.fromStack(stack);
    }

    private static Map<String, Object> deployAction(Template t) {
        Map<String, Map<String, Object>> pipelines = t.findResources("AWS::CodePipeline::Pipeline");
        assertEquals(1, pipelines.size());
        Map<String, Object> pipeline = pipelines.values().iterator().next();
        Map<String, Map<String, Object>> stages = new LinkedHashMap<>();
        for (Object s : list(map(pipeline.get("Properties")).get("Stages"))) {
            stages.put((String) map(s).get("Name"), map(s));
        }
        assertEquals(List.of("Source", "Deploy"), new ArrayList<>(stages.keySet()));
        List<Object> actions = list(stages.get("Deploy").get("Actions"));
        assertEquals(1, actions.size());
        return map(actions.get(0));
    }

    private static Map<String, Object> userParameters(Template t) throws Exception {
        return parseJsonValue(map(deployAction(t).get("Configuration")).get("UserParameters"));
    }

    @Test
    void oneStateMachine() throws Exception {
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        Map<String, Object> machine = template.findResources("AWS::StepFunctions::StateMachine").values().iterator().next();
        Map<String, Object> definition = parseJsonValue(map(machine.get("Properties")).get("DefinitionString"));
        Map<String, Object> states = map(definition.get("States"));
        assertTrue(states.containsKey((String) definition.get("StartAt")));
        Set<Object> kinds = states.values().stream().map(s -> map(s).get("Type")).collect(Collectors.toSet());
        assertTrue(kinds.containsAll(Set.of("Task", "Choice", "Wait", "Succeed", "Fail")), kinds.toString());
        assertTrue(states.keySet().stream().anyMatch(n -> n.replace(" ", "").contains("ChangeSet")), states.keySet().toString());
    }

    @Test
    void fourNodejs22Functions() {
        template.resourceCountIs("AWS::Lambda::Function", 4);
        Map<String, Map<String, Object>> functions = template.findResources("AWS::Lambda::Function");
        for (Map<String, Object> fn : functions.values()) {
            assertEquals("nodejs22.x", map(fn.get("Properties")).get("Runtime"));
            assertEquals("index.handler", map(fn.get("Properties")).get("Handler"));
        }
        List<String> descriptions = functions.values().stream()
                .map(fn -> (String) map(fn.get("Properties")).get("Description")).collect(Collectors.toList());
        assertTrue(descriptions.stream().anyMatch(d -> d.contains("starts the deploy workflow")), descriptions.toString());
        assertTrue(descriptions.stream().anyMatch(d -> d.contains("deploy workflow's tasks")), descriptions.toString());
        assertTrue(descriptions.stream().anyMatch(d -> d.contains("status events")), descriptions.toString());
        assertTrue(descriptions.stream().anyMatch(d -> d.contains("decision on a deployment waiting for approval")), descriptions.toString());
    }

    @Test
    void pipelineLambdaActionInvokesTheTriggerFunction() {
        Map<String, Object> action = deployAction(template);
        assertEquals(Map.of("Category", "Invoke", "Owner", "AWS", "Provider", "Lambda", "Version", "1"), action.get("ActionTypeId"));
        assertEquals("DeployApp", action.get("Name"));
        assertEquals("Deploy", action.get("Namespace"));
        assertEquals("Source", map(list(action.get("InputArtifacts")).get(0)).get("Name"));
        String ref = (String) map(map(action.get("Configuration")).get("FunctionName")).get("Ref");
        Map<String, Object> trigger = template.findResources("AWS::Lambda::Function").get(ref);
        assertNotNull(trigger, "FunctionName refers to one of the two functions");
        assertTrue(((String) map(trigger.get("Properties")).get("Description")).contains("starts the deploy workflow"));
    }

    @Test
    void pipelineActionCarriesTheRulesPolicy() throws Exception {
        Map<String, Object> params = userParameters(template);
        assertEquals(Map.of("type", "rules", "rules", EXPECTED_RULES, "defaultVerdict", "DENY"), params.get("policy"));
        assertEquals(Map.of("type", "fail"), params.get("onUnsafe"));
        assertEquals("app", params.get("stackName"));
        assertEquals("dev", params.get("environmentName"));
        assertEquals("infra/app.yaml", params.get("templatePath"));
        assertEquals(List.of("CAPABILITY_NAMED_IAM"), params.get("capabilities"));
        assertEquals(10, params.get("pollIntervalSeconds"));
        assertEquals(30, params.get("timeoutMinutes"));
        assertEquals(TOKEN, params.get("roleArn"));
    }

    @Test
    void rollbackAlarmsFromJava() throws Exception {
        Map<String, Object> params = userParameters(template);
        assertEquals(List.of(Map.of("arn", TOKEN)), params.get("rollbackAlarms"));
        assertEquals(10, params.get("monitoringMinutes"));
        assertEquals("FAIL", params.get("whenAlarmFiring"));
    }

    @Test
    void defaultVerdictOption() throws Exception {
        PipelineApp.PipelineStack other = PipelineApp.buildStack(new App(), RuleVerdict.REQUIRE_APPROVAL);
        Map<String, Object> policy = map(userParameters(Template.fromStack(other)).get("policy"));
        assertEquals("REQUIRE_APPROVAL", policy.get("defaultVerdict"));
        assertEquals(EXPECTED_RULES, policy.get("rules"));
    }

    @Test
    void actionPropertiesFromJava() {
        StepFunctionsDeployAction action = stack.getDeployAction();
        assertEquals("dev-app", action.getStackName());
        assertEquals("DeployApp", action.getActionProperties().getActionName());
        assertEquals(ActionCategory.INVOKE, action.getActionProperties().getCategory());
        assertEquals("#{Deploy.Outcome}", stack.resolve(action.variable("Outcome")));
        assertEquals(action.getStateMachine().getNode().getPath(),
                action.getDeployStateMachine().getStateMachine().getNode().getPath());
    }

    @Test
    void assetsAreInTheJarAndTheCloudAssembly() throws Exception {
        List<Long> bundles = new ArrayList<>();
        for (File entry : new File(assembly.getDirectory()).listFiles()) {
            Path index = entry.toPath().resolve("index.js");
            if (entry.getName().startsWith("asset.") && Files.isRegularFile(index)) {
                bundles.add(Files.size(index));
            }
        }
        // The trigger, task, stack event and approval functions' bundles.
        assertEquals(4, bundles.size(), bundles.toString());
        assertTrue(bundles.stream().allMatch(size -> size > 1000), bundles.toString());
    }

    @Test
    void ruleWithoutVerdictIsRejectedByTheBuilder() {
        assertThrows(NullPointerException.class, () -> SafetyRule.builder().resourceTypes(List.of("AWS::IAM::*")).build());
    }

    @Test
    void invalidRulesRaiseFromTheLibrary() {
        RuntimeException empty = assertThrows(RuntimeException.class, () -> SafetyPolicy.fromRules(List.of()));
        assertTrue(empty.getMessage().contains("at least one rule"), empty.getMessage());
        RuntimeException noTypes = assertThrows(RuntimeException.class, () -> SafetyPolicy.fromRules(List.of(
                SafetyRule.builder().verdict(RuleVerdict.DENY).resourceTypes(List.of()).build())));
        assertTrue(noTypes.getMessage().contains("non-empty list"), noTypes.getMessage());
        RuntimeException longGlob = assertThrows(RuntimeException.class, () -> SafetyPolicy.fromRules(List.of(
                SafetyRule.builder().verdict(RuleVerdict.DENY).logicalIds(List.of("x".repeat(300))).build())));
        assertTrue(longGlob.getMessage().contains("not a glob"), longGlob.getMessage());
    }

    @Test
    void aRuleWithoutCriteriaIsRefusedACatchAllIsTheDefaultVerdict() {
        // It would match every change: the library refuses it, naming the rule and pointing to defaultVerdict.
        RuntimeException catchAll = assertThrows(RuntimeException.class, () -> SafetyPolicy.fromRules(List.of(
                SafetyRule.builder().verdict(RuleVerdict.DENY).actions(List.of(ChangeAction.REMOVE)).build(),
                SafetyRule.builder().verdict(RuleVerdict.ALLOW).description("the rest").build())));
        assertTrue(catchAll.getMessage().contains("rule #2 (\"the rest\") has no criteria, so it would match every change"), catchAll.getMessage());
        assertTrue(catchAll.getMessage().contains("defaultVerdict"), catchAll.getMessage());
        SafetyPolicy.fromRules(List.of(SafetyRule.builder().verdict(RuleVerdict.DENY).actions(List.of(ChangeAction.REMOVE)).build()),
                FromRulesOptions.builder().defaultVerdict(RuleVerdict.ALLOW).build());
    }

    @Test
    void thePolicyReferenceRulesExampleAllowsWhatItMeansTo() {
        // The Java rules example of docs/policy.md (Rules), as it is written there.
        SafetyPolicy policy = SafetyPolicy.fromRules(List.of(
                SafetyRule.builder().verdict(RuleVerdict.ALLOW).resourceTypes(List.of("AWS::Lambda::Version")).description("versions are immutable").build(),
                SafetyRule.builder().verdict(RuleVerdict.REQUIRE_APPROVAL).resourceTypes(List.of("AWS::IAM::*")).description("IAM needs a second pair of eyes").build(),
                SafetyRule.builder().verdict(RuleVerdict.DENY).actions(List.of(ChangeAction.REMOVE, ChangeAction.DYNAMIC)).build(),
                SafetyRule.builder().verdict(RuleVerdict.DENY).replacements(List.of(Replacement.TRUE, Replacement.CONDITIONAL)).build()),
                FromRulesOptions.builder().defaultVerdict(RuleVerdict.ALLOW).build());
        List<Object> changes = List.of(
                change("Modify", "AppRole", "AWS::IAM::Role", "Replacement", "False"),
                change("Add", "Queue", "AWS::SQS::Queue", null, null),
                change("Remove", "Bucket", "AWS::S3::Bucket", "PolicyAction", "Delete"));
        ChangeSetEvaluation result = policy.evaluateChangeSet(List.of(page(changes)));
        assertEquals(List.of(RuleVerdict.REQUIRE_APPROVAL, RuleVerdict.ALLOW, RuleVerdict.DENY),
                result.getChanges().stream().map(ChangeEvaluation::getVerdict).collect(Collectors.toList()));
    }

    @Test
    void policyTooLargeForUserParametersRaises() {
        List<SafetyRule> rules = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            rules.add(SafetyRule.builder().verdict(RuleVerdict.ALLOW)
                    .resourceTypes(List.of("AWS::Service" + i + "::Resource*")).description("rule " + i).build());
        }
        Stack tooLarge = new Stack(new App(), "TooLarge");
        RuntimeException error = assertThrows(RuntimeException.class, () -> new StepFunctionsDeployAction(tooLarge, "Deploy",
                StepFunctionsDeployActionProps.builder()
                        .actionName("Deploy")
                        .stackName("app")
                        .templatePath(Artifact.artifact("Source").atPath("app.yaml"))
                        .safetyPolicy(SafetyPolicy.fromRules(rules))
                        .build()));
        assertTrue(error.getMessage().contains("UserParameters"), error.getMessage());
    }

    @Test
    void severalStacksAsOneUnitFromJava() {
        Stack unitStack = new Stack(new App(), "Unit");
        Artifact source = Artifact.artifact("Source");
        StepFunctionsDeployAction release = new StepFunctionsDeployAction(unitStack, "Release",
                StepFunctionsDeployActionProps.builder()
                        .actionName("Release")
                        .environmentName("prod")
                        .stacks(List.of(
                                StackToDeploy.builder().stackName("network").templatePath(source.atPath("network.template.json")).build(),
                                StackToDeploy.builder().stackName("app").templatePath(source.atPath("app.template.json"))
                                        .parameterOutputs(Map.of("VpcId", "network.VpcId")).build()))
                        .build());
        assertEquals(List.of("prod-network", "prod-app"), release.getStackNames());
        assertTrue(release.stackVariable("app", "Outcome").endsWith(".prod-app_Outcome}"), release.stackVariable("app", "Outcome"));
        Stack badUnit = new Stack(new App(), "BadUnit");
        RuntimeException error = assertThrows(RuntimeException.class, () -> new StepFunctionsDeployAction(badUnit, "Release",
                StepFunctionsDeployActionProps.builder()
                        .actionName("Release")
                        .stacks(List.of(StackToDeploy.builder().stackName("app").templatePath(source.atPath("a.json")).dependsOn(List.of("network")).build()))
                        .build()));
        assertTrue(error.getMessage().contains("which is not an earlier stack of the unit"), error.getMessage());
    }

    @Test
    void otherPoliciesTranslate() {
        assertInstanceOf(SafetyPolicy.class, SafetyPolicy.allowAll());
        assertInstanceOf(SafetyPolicy.class, SafetyPolicy.denyDestructiveChanges());
    }

    @Test
    void matchApiOnTheAction() {
        template.hasResourceProperties("AWS::CodePipeline::Pipeline", Map.of(
                "Stages", Match.arrayWith(List.of(Match.objectLike(Map.of(
                        "Name", "Deploy",
                        "Actions", List.of(Match.objectLike(Map.of("Name", "DeployApp")))))))));
    }

    @Test
    void policiesAndStrategiesComeOnlyFromTheirStaticMethods() {
        // No constructor without arguments that Java code could call: the constructors are private in the library.
        for (Class<?> type : List.of(SafetyPolicy.class, io.github.cdksfndeploy.UnsafeChangeAction.class)) {
            for (java.lang.reflect.Constructor<?> constructor : type.getDeclaredConstructors()) {
                assertTrue(constructor.getParameterCount() > 0, type.getSimpleName() + " has " + constructor);
            }
        }
    }

    @Test
    void aSubclassOfSafetyPolicyIsRefusedWithAClearMessage() {
        // The constructor is private (no public or protected no-argument constructor in the binding); the only
        // way left to subclass is jsii's own initialisation constructor, and such a policy is refused clearly.
        SafetyPolicy mine = new SafetyPolicy(software.amazon.jsii.JsiiObject.InitializationMode.JSII) {
        };
        Stack subclass = new Stack(new App(), "Subclass");
        RuntimeException error = assertThrows(RuntimeException.class, () -> new StepFunctionsDeployAction(subclass, "Deploy",
                StepFunctionsDeployActionProps.builder()
                        .actionName("Deploy")
                        .stackName("app")
                        .templatePath(Artifact.artifact("Source").atPath("app.yaml"))
                        .safetyPolicy(mine)
                        .build()));
        assertTrue(error.getMessage().contains("fromRules"), error.getMessage());
    }

    private static Map<String, Object> change(String action, String logicalId, String type, String key, String value) {
        Map<String, Object> resourceChange = new LinkedHashMap<>();
        resourceChange.put("Action", action);
        resourceChange.put("LogicalResourceId", logicalId);
        resourceChange.put("ResourceType", type);
        if (key != null) {
            resourceChange.put(key, value);
        }
        return Map.of("Type", "Resource", "ResourceChange", resourceChange);
    }

    @Test
    void theRulesDecideAChangeSetFromJava() {
        // The same evaluation the deploy workflow runs, offline, on describe-change-set output.
        List<Object> changes = List.of(
                change("Remove", "FnVersionA", "AWS::Lambda::Version", "PolicyAction", "Delete"),
                change("Modify", "AppRole", "AWS::IAM::Role", "Replacement", "False"),
                change("Remove", "Bucket", "AWS::S3::Bucket", "PolicyAction", "Delete"),
                change("Add", "Queue", "AWS::SQS::Queue", null, null),
                change("Modify", "Table", "AWS::DynamoDB::Table", "Replacement", "True"));
        ChangeSetEvaluation result = PipelineApp.rulesPolicy(null).evaluateChangeSet(List.of(page(changes)));
        assertEquals(RuleVerdict.DENY, result.getVerdict());
        List<String> decided = new ArrayList<>();
        for (ChangeEvaluation c : result.getChanges()) {
            decided.add(c.getLogicalId() + " " + c.getVerdict() + " " + c.getRule());
        }
        assertEquals(List.of(
                "FnVersionA ALLOW rule #1",
                "AppRole REQUIRE_APPROVAL rule #2",
                "Bucket DENY rule #3",
                "Queue ALLOW rule #6",
                "Table DENY no replacement"), decided);
        assertEquals("True", result.getChanges().get(4).getReplacement());
        assertEquals("Delete", result.getChanges().get(0).getPolicyAction());
        ChangeSetEvaluation approval = PipelineApp.rulesPolicy(null)
                .evaluateChangeSet(List.of(page(changes.subList(0, 2))));
        assertEquals(RuleVerdict.REQUIRE_APPROVAL, approval.getVerdict());
        assertEquals(List.of(), approval.getIncomplete());
        // A description whose completeness is unknown (no Status) is denied, whatever its changes.
        ChangeSetEvaluation unknown = PipelineApp.rulesPolicy(null)
                .evaluateChangeSet(List.of(Map.of("Changes", changes.subList(0, 2))));
        assertEquals(RuleVerdict.DENY, unknown.getVerdict());
        assertEquals(List.of("the change set has no Status, so whether it is complete is unknown"), unknown.getIncomplete());
    }

    /** One page of describe-change-set output, of a change set that was created completely. */
    private static Map<String, Object> page(List<Object> changes) {
        return Map.of("Status", "CREATE_COMPLETE", "Changes", changes);
    }

    /** cfn-lint (the project's pinned one, $CFN_LINT, set by run.sh) reports no error (E*) on the Java app's template. */
    @Test
    void cfnLintFindsNoErrorInTheSynthesizedTemplate() throws Exception {
        Path templateFile = Path.of(assembly.getDirectory(), stack.getTemplateFile());
        String cfnLint = System.getenv("CFN_LINT");
        assertTrue(cfnLint != null && Files.isExecutable(Path.of(cfnLint)),
                "CFN_LINT=" + cfnLint + " is not an executable: run npx projen python-tools");
        Process process = new ProcessBuilder(cfnLint, "--format", "parseable", templateFile.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        int exit = process.waitFor();
        // parseable lines: file:line:column:end line:end column:RULE:message; only errors (E*) fail the app
        List<String> errors = output.lines()
                .filter(line -> line.split(":").length > 5 && line.split(":")[5].startsWith("E"))
                .collect(Collectors.toList());
        assertEquals(List.of(), errors, output);
        assertTrue(exit == 0 || exit == 4, "cfn-lint exited " + exit + ": " + output);
    }
}
