package com.example.sfndeploy;

import java.util.List;

import io.github.cdksfndeploy.ChangeAction;
import io.github.cdksfndeploy.FromRulesOptions;
import io.github.cdksfndeploy.PolicyAction;
import io.github.cdksfndeploy.Replacement;
import io.github.cdksfndeploy.RuleVerdict;
import io.github.cdksfndeploy.SafetyPolicy;
import io.github.cdksfndeploy.SafetyRule;
import io.github.cdksfndeploy.StepFunctionsDeployAction;
import io.github.cdksfndeploy.StepFunctionsDeployActionProps;
import io.github.cdksfndeploy.UnsafeChangeAction;
import io.github.cdksfndeploy.WhenAlarmFiring;
import software.amazon.awscdk.App;
import software.amazon.awscdk.AppProps;
import software.amazon.awscdk.CfnCapabilities;
import software.amazon.awscdk.CfnOutput;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.Metric;
import software.amazon.awscdk.services.codepipeline.Artifact;
import software.amazon.awscdk.services.codepipeline.Pipeline;
import software.amazon.awscdk.services.codepipeline.StageProps;
import software.amazon.awscdk.services.codepipeline.actions.S3SourceAction;
import software.amazon.awscdk.services.s3.Bucket;
import software.constructs.Construct;

/**
 * A small Java CDK app that uses cdk-stepfunctions-deploy-action the way a Java user would: a pipeline
 * (S3 source, then a stage with a StepFunctionsDeployAction) whose safety policy is a list of rules.
 * PipelineAppTest synthesizes it and checks the template; {@code mvn exec:java} synthesizes it into cdk.out.
 */
public final class PipelineApp {
    private PipelineApp() {
    }

    /** A custom rule-based policy: first match wins, unmatched changes get {@code defaultVerdict}. */
    public static SafetyPolicy rulesPolicy(RuleVerdict defaultVerdict) {
        List<SafetyRule> rules = List.of(
                SafetyRule.builder().verdict(RuleVerdict.ALLOW).resourceTypes(List.of("AWS::Lambda::Version")).build(),
                SafetyRule.builder().verdict(RuleVerdict.REQUIRE_APPROVAL).resourceTypes(List.of("AWS::IAM::*")).build(),
                SafetyRule.builder().verdict(RuleVerdict.DENY).actions(List.of(ChangeAction.REMOVE)).build(),
                SafetyRule.builder().verdict(RuleVerdict.DENY)
                        .replacements(List.of(Replacement.TRUE, Replacement.CONDITIONAL))
                        .description("no replacement").build(),
                SafetyRule.builder().verdict(RuleVerdict.DENY)
                        .policyActions(List.of(PolicyAction.DELETE)).logicalIds(List.of("Db*")).build(),
                SafetyRule.builder().verdict(RuleVerdict.ALLOW)
                        .actions(List.of(ChangeAction.ADD, ChangeAction.MODIFY)).build());
        if (defaultVerdict == null) {
            return SafetyPolicy.fromRules(rules);
        }
        return SafetyPolicy.fromRules(rules, FromRulesOptions.builder().defaultVerdict(defaultVerdict).build());
    }

    /** A pipeline that deploys {@code dev-app} from {@code infra/app.yaml} in the source artifact. */
    public static final class PipelineStack extends Stack {
        private final StepFunctionsDeployAction deployAction;

        public PipelineStack(final Construct scope, final String id, final SafetyPolicy safetyPolicy) {
            super(scope, id);

            Bucket sourceBucket = Bucket.Builder.create(this, "SourceBucket").versioned(true).build();
            Artifact sourceOutput = Artifact.artifact("Source");
            // The application's error alarm: a rollback trigger while the stack is updated and for 10 minutes after.
            Alarm errors = Alarm.Builder.create(this, "AppErrors")
                    .metric(Metric.Builder.create().namespace("App").metricName("Errors").build())
                    .threshold(1)
                    .evaluationPeriods(1)
                    .build();

            deployAction = new StepFunctionsDeployAction(this, "DeployApp", StepFunctionsDeployActionProps.builder()
                    .actionName("DeployApp")
                    .stackName("app")
                    .environmentName("dev")
                    .templatePath(sourceOutput.atPath("infra/app.yaml"))
                    .cfnCapabilities(List.of(CfnCapabilities.NAMED_IAM))
                    .safetyPolicy(safetyPolicy)
                    .onUnsafeChange(UnsafeChangeAction.fail())
                    .pollInterval(Duration.seconds(10))
                    .timeout(Duration.minutes(30))
                    .rollbackAlarms(List.of(errors))
                    .monitoringTime(Duration.minutes(10))
                    .whenAlarmFiring(WhenAlarmFiring.FAIL)
                    .variablesNamespace("Deploy")
                    .build());

            Pipeline.Builder.create(this, "Pipeline")
                    .crossAccountKeys(false)
                    .stages(List.of(
                            StageProps.builder().stageName("Source").actions(List.of(
                                    S3SourceAction.Builder.create()
                                            .actionName("Source")
                                            .bucket(sourceBucket)
                                            .bucketKey("source.zip")
                                            .output(sourceOutput)
                                            .build())).build(),
                            StageProps.builder().stageName("Deploy").actions(List.of(deployAction)).build()))
                    .build();

            CfnOutput.Builder.create(this, "DeployedStack").value(deployAction.getStackName()).build();
        }

        public StepFunctionsDeployAction getDeployAction() {
            return deployAction;
        }
    }

    /** An app with the pipeline stack; {@code outdir} may be null for the default (cdk.out). */
    public static PipelineStack buildStack(App app, RuleVerdict defaultVerdict) {
        return new PipelineStack(app, "JavaPipelineStack", rulesPolicy(defaultVerdict));
    }

    public static App newApp(String outdir) {
        return outdir == null ? new App() : new App(AppProps.builder().outdir(outdir).build());
    }

    public static void main(final String[] args) {
        App app = newApp(null);
        buildStack(app, null);
        app.synth();
    }
}
