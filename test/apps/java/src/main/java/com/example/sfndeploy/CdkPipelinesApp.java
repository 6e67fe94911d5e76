package com.example.sfndeploy;

import java.util.List;

import io.github.cdksfndeploy.ChangeSetReviewStageOptions;
import io.github.cdksfndeploy.ChangeSetReviewStep;
import io.github.cdksfndeploy.RequireApprovalOptions;
import io.github.cdksfndeploy.RuleVerdict;
import io.github.cdksfndeploy.SafetyPolicy;
import io.github.cdksfndeploy.DenyDestructiveChangesOptions;
import io.github.cdksfndeploy.UnsafeChangeAction;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.Stage;
import software.amazon.awscdk.StageProps;
import software.amazon.awscdk.pipelines.AddStageOpts;
import software.amazon.awscdk.pipelines.CodePipeline;
import software.amazon.awscdk.pipelines.CodePipelineSource;
import software.amazon.awscdk.pipelines.ShellStep;
import software.amazon.awscdk.pipelines.StackSteps;
import software.amazon.awscdk.services.dynamodb.Attribute;
import software.amazon.awscdk.services.dynamodb.AttributeType;
import software.amazon.awscdk.services.dynamodb.Table;
import software.amazon.awscdk.services.s3.Bucket;
import software.amazon.awscdk.services.sns.Topic;
import software.constructs.Construct;

/**
 * A CDK Pipelines app in Java: the shop stage's change sets are reviewed by ChangeSetReviewStep as one unit
 * (ChangeSetReviewStep.forStage), the audit stage's data stack by a step of its own.
 */
public final class CdkPipelinesApp {
    private CdkPipelinesApp() {
    }

    public static final Environment PIPELINE_ENV = Environment.builder().account("111111111111").region("eu-west-1").build();

    /** The application: a data stack with a table and a topics stack, the second optionally depending on the first. */
    public static final class ShopStage extends Stage {
        public final Stack data;
        public final Stack topics;

        public ShopStage(final Construct scope, final String id, final StageProps props, final boolean dependent) {
            super(scope, id, props);
            data = new Stack(this, "Data");
            Table.Builder.create(data, "Orders")
                    .partitionKey(Attribute.builder().name("pk").type(AttributeType.STRING).build())
                    .build();
            topics = new Stack(this, "Topics");
            new Topic(topics, "Alerts");
            if (dependent) {
                topics.addDependency(data);
            }
        }
    }

    /** A pipeline stack with a CDK Pipelines pipeline, built. */
    public static CodePipeline pipeline(final Stack stack) {
        return CodePipeline.Builder.create(stack, "Pipeline")
                .crossAccountKeys(true)
                .synth(ShellStep.Builder.create("Synth")
                        .input(CodePipelineSource.s3(Bucket.Builder.create(stack, "Source").versioned(true).build(), "source.zip"))
                        .commands(List.of("npm ci", "npx cdk synth"))
                        .build())
                .build();
    }

    public static Stack build(final App app) {
        Stack stack = new Stack(app, "ShopPipeline", StackProps.builder().env(PIPELINE_ENV).build());
        CodePipeline pipeline = pipeline(stack);
        ShopStage shop = new ShopStage(app, "Shop", StageProps.builder().build(), false);
        pipeline.addStage(shop, AddStageOpts.builder()
                .stackSteps(ChangeSetReviewStep.forStage(shop, ChangeSetReviewStageOptions.builder()
                        .safetyPolicy(SafetyPolicy.denyDestructiveChanges(DenyDestructiveChangesOptions.builder()
                                .destructiveChangeVerdict(RuleVerdict.REQUIRE_APPROVAL).build()))
                        .onUnsafeChange(UnsafeChangeAction.requireApproval(RequireApprovalOptions.builder()
                                .notificationTopic(new Topic(stack, "Approvers")).build()))
                        .build()))
                .build());
        ShopStage audit = new ShopStage(app, "Audit", StageProps.builder()
                .env(Environment.builder().account("222222222222").region("us-west-2").build()).build(), false);
        pipeline.addStage(audit, AddStageOpts.builder()
                .stackSteps(List.of(StackSteps.builder().stack(audit.data).changeSet(List.of(new ChangeSetReviewStep("ReviewData"))).build()))
                .build());
        pipeline.buildPipeline();
        return stack;
    }

    public static void main(final String[] args) {
        App app = new App();
        build(app);
        app.synth();
    }
}
