package com.example.sfndeploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static com.example.sfndeploy.TemplateJson.list;
import static com.example.sfndeploy.TemplateJson.map;
import static com.example.sfndeploy.TemplateJson.parseJsonValue;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.github.cdksfndeploy.ChangeSetReviewStep;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.StageProps;
import software.amazon.awscdk.assertions.Template;

/** JUnit checks of the CDK Pipelines app (CdkPipelinesApp) against the jar built by jsii-pacmak. */
class CdkPipelinesAppTest {
    private static Template template;

    @BeforeAll
    static void synthesize() {
        App app = new App();
        Stack stack = CdkPipelinesApp.build(app);
        app.synth();
        template = Template.fromStack(stack);
    }

    private static List<Map<String, Object>> stageActions(String name) {
        Map<String, Object> pipeline = template.findResources("AWS::CodePipeline::Pipeline").values().iterator().next();
        for (Object s : list(map(pipeline.get("Properties")).get("Stages"))) {
            if (name.equals(map(s).get("Name"))) {
                return list(map(s).get("Actions")).stream().map(TemplateJson::map).collect(Collectors.toList());
            }
        }
        throw new AssertionError("no stage " + name);
    }

    private static Map<String, Object> userParameters(Map<String, Object> action) throws Exception {
        return parseJsonValue(map(action.get("Configuration")).get("UserParameters"));
    }

    private static int runOrder(Map<String, Object> action) {
        return ((Number) action.get("RunOrder")).intValue();
    }

    private static String mode(Map<String, Object> action) {
        return String.valueOf(map(action.get("Configuration")).get("ActionMode"));
    }

    @Test
    void stageReviewRunsAfterEveryPrepareAndBeforeAnyDeploy() throws Exception {
        List<Map<String, Object>> actions = stageActions("Shop");
        List<Map<String, Object>> reviews = actions.stream()
                .filter(a -> "Lambda".equals(map(a.get("ActionTypeId")).get("Provider"))).collect(Collectors.toList());
        assertEquals(1, reviews.size());
        // Named after what it reviews, the stage's stacks: the step's id, not the first stack's name (Data.ReviewChangeSets).
        assertEquals("ReviewChangeSets", reviews.get(0).get("Name"));
        int review = runOrder(reviews.get(0));
        List<Integer> prepares = actions.stream().filter(a -> mode(a).equals("CHANGE_SET_REPLACE")).map(CdkPipelinesAppTest::runOrder).collect(Collectors.toList());
        List<Integer> deploys = actions.stream().filter(a -> mode(a).equals("CHANGE_SET_EXECUTE")).map(CdkPipelinesAppTest::runOrder).collect(Collectors.toList());
        assertEquals(2, prepares.size());
        assertEquals(2, deploys.size());
        assertTrue(prepares.stream().allMatch(p -> p < review));
        assertTrue(deploys.stream().allMatch(d -> d > review));
        Map<String, Object> config = userParameters(reviews.get(0));
        assertEquals("PipelineChange", config.get("prepared"));
        assertEquals(List.of("Shop-Data", "Shop-Topics"), config.get("stacks"));
        assertEquals("requireApproval", map(config.get("onUnsafe")).get("type"));
    }

    @Test
    void singleStackReviewInAnotherAccountReadsThroughItsDeployRole() throws Exception {
        Map<String, Map<String, Object>> actions = stageActions("Audit").stream()
                .collect(Collectors.toMap(a -> (String) a.get("Name"), a -> a));
        Map<String, Object> review = actions.get("Data.ReviewData");
        assertTrue(runOrder(actions.get("Data.Prepare")) < runOrder(review));
        assertTrue(runOrder(review) < runOrder(actions.get("Data.Deploy")));
        Map<String, Object> config = userParameters(review);
        assertEquals(List.of("Audit-Data"), config.get("stacks"));
        assertEquals("us-west-2", config.get("region"));
        assertTrue(((String) config.get("assumeRoleArn")).endsWith(":iam::222222222222:role/cdk-hnb659fds-deploy-role-222222222222-us-west-2"));
    }

    @Test
    void oneWorkflowForBothSteps() {
        template.resourceCountIs("AWS::StepFunctions::StateMachine", 1);
        template.resourceCountIs("AWS::Lambda::Function", 4);
    }

    @Test
    void forStageRefusesDependentStacks() {
        App app = new App();
        Stack stack = new Stack(app, "Pipeline", StackProps.builder().env(CdkPipelinesApp.PIPELINE_ENV).build());
        CdkPipelinesApp.pipeline(stack);
        CdkPipelinesApp.ShopStage stage = new CdkPipelinesApp.ShopStage(app, "Prod", StageProps.builder().build(), true);
        RuntimeException error = assertThrows(RuntimeException.class, () -> ChangeSetReviewStep.forStage(stage));
        assertTrue(error.getMessage().contains("stack Prod-Topics depends on Prod-Data, a stack of the same stage"), error.getMessage());
    }
}
