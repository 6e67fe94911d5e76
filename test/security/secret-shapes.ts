/**
 * A corpus of secrets as they appear in property values of change sets: the shapes of well-known keys and
 * tokens, secrets inside text and JSON, and values of properties that carry secrets by nature. Every value is
 * made up (random characters in the real shapes). `secret` is the part that must never be shown, neither whole
 * nor in part; `path` is the property path without `/Properties/`.
 */
export interface SecretShape {
  readonly what: string;
  readonly resourceType: string;
  readonly path: string;
  readonly value: string;
  readonly secret: string;
  /**
   * What tells it is a secret: its shape (secretlint), its entropy, its property, its name, or a name written
   * inside the value before it (`"password": ...`, `--db-password=...`): `named`.
   */
  readonly by: 'shape' | 'entropy' | 'nature' | 'name' | 'named';
}

const userData = (script: string) => Buffer.from(script).toString('base64');

export const SECRET_SHAPES: readonly SecretShape[] = [
  // Well-known shapes, in properties that are not secret by name or by nature: found by their shape.
  { what: 'a Stripe key in a description', resourceType: 'AWS::Events::Rule', path: 'Description', value: 'STRIPE_KEY=sk_live_lSh9pg14E9ML9DXBEp5ytDme', secret: 'lSh9pg14E9ML9DXBEp5ytDme', by: 'shape' },
  { what: 'a GitHub personal access token in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/0/Value', value: 'GITHUB_PAT=ghp_jZS0lVskYjOFkgcScEvMH0lm5PdYnqOLmARw', secret: 'jZS0lVskYjOFkgcScEvMH0lm5PdYnqOLmARw', by: 'shape' },
  { what: 'a fine-grained GitHub token in a description', resourceType: 'AWS::CodeBuild::Project', path: 'Description', value: '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', secret: 'vaWfPS0RkD2qbKzRNcwWAa_G9Rjk3s8POeYwf6wf4Yk3cUu32LPVDIpyOiRLln44PqHzUTqG0WRldi5b8E', by: 'shape' },
  { what: 'a Slack webhook URL as a subscription endpoint', resourceType: 'AWS::SNS::Subscription', path: 'Endpoint', value: 'https://hooks.slack.com/services/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', secret: 'NDvvjAZybLNJlkToH0G9IQFq', by: 'shape' },
  { what: 'a Slack bot token in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/1/Value', value: 'xoxb-46000140931-234597512774-FtuDHTNQni1h1fInfgw9mq2U', secret: 'FtuDHTNQni1h1fInfgw9mq2U', by: 'shape' },
  { what: 'an AWS access key id in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'uses AKIA7R5875TBZCVB8A44 for the legacy bucket', secret: 'AKIA7R5875TBZCVB8A44', by: 'shape' },
  { what: 'an AWS secret access key in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'aws_secret_access_key=CcGhDVNbyx7X0igIkhGRAKUTh/hl677jvFJe7pBM', secret: 'CcGhDVNbyx7X0igIkhGRAKUTh/hl677jvFJe7pBM', by: 'shape' },
  { what: 'the start of a PEM private key', resourceType: 'AWS::EC2::LaunchTemplate', path: 'LaunchTemplateData/MetadataOptions/Note', value: '-----BEGIN RSA PRIVATE KEY-----\nwyuyaCNqscnOSA48GZVx4HNHrUg+Pr/9prl1pjygGR/3/qJqR/oM8hLwCCXszIlm\n', secret: 'wyuyaCNqscnOSA48GZVx4HNHrUg+Pr/9prl1pjygGR/3/qJqR/oM8hLwCCXszIlm', by: 'shape' },
  { what: 'an npm access token in a build spec', resourceType: 'AWS::CodeBuild::Project', path: 'Source/BuildSpec', value: 'phases:\n  install:\n    commands:\n      - npm config set //registry.npmjs.org/:_authToken npm_iJeXJpSIG0f026M7LcSkGFbK7oqDlcLInEl1', secret: 'iJeXJpSIG0f026M7LcSkGFbK7oqDlcLInEl1', by: 'shape' },
  { what: 'an .npmrc auth token in a build spec', resourceType: 'AWS::CodeBuild::Project', path: 'Source/BuildSpec', value: '//registry.npmjs.org/:_authToken=5c99a4d6-a7a8-0f4f-70e3-06f6c833d320', secret: '5c99a4d6-a7a8-0f4f-70e3-06f6c833d320', by: 'shape' },
  { what: 'a JSON Web Token in a header value', resourceType: 'AWS::Events::ApiDestination', path: 'Description', value: 'Authorisation: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvaUlPR0dBQ2pHY0M0SlVHOXVBYiIsImFkbWluIjp0cnVlfQ.zLM58dvlzppWxJW85RKTjrXp3l2pdI4YTHRu3kowQ2h', secret: 'zLM58dvlzppWxJW85RKTjrXp3l2pdI4YTHRu3kowQ2h', by: 'shape' },
  { what: 'a Google API key in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/2/Value', value: 'AIzaZAPfWq6SBYARDJtJJlKm84tWmroqtBDBXQ6', secret: 'ZAPfWq6SBYARDJtJJlKm84tWmroqtBDBXQ6', by: 'shape' },
  { what: 'a SendGrid API key in a description', resourceType: 'AWS::SES::ConfigurationSet', path: 'Name', value: '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', secret: 'tZEmbHeJQz5SKNEskpUiCeiVAtZJXeUKUWt2pcT6HJv', by: 'shape' },
  { what: 'an OpenAI key in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'sk-proj-iqAOpTwlyPfU5yq6WmaDJCZtpT5wyPXlnAvZRiSHCTaXKGeH', secret: 'iqAOpTwlyPfU5yq6WmaDJCZtpT5wyPXlnAvZRiSHCTaXKGeH', by: 'shape' },
  { what: 'an Anthropic key in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'sk-ant-api03-TYXZqZPs7vMhZ0nxCLEGcnwwXfelDMDJudxpgPDvQVMdXpWZBAcLhgYrnYyfJkPj4hWnlZflI0C11Ys4dXAEazn355k7M-AAAAAA', secret: 'TYXZqZPs7vMhZ0nxCLEGcnwwXfelDMDJudxpgPDvQVMdXpWZBAcLhgYrnYyfJkPj4hWnlZflI0C11Ys4dXAEazn355k7M', by: 'shape' },
  { what: 'a GitLab token in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/3/Value', value: 'glpat-6Hyyj0tNXzoY6nIKpcLx', secret: '6Hyyj0tNXzoY6nIKpcLx', by: 'shape' },
  { what: 'a Shopify access token in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: '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', secret: '41cb154e44112ab69d7c20050ee345ce', by: 'shape' },
  { what: 'a URL with a user and password', resourceType: 'AWS::SNS::Subscription', path: 'Endpoint', value: 'https://deploy:VJqChjZvtX5ugZfL@hooks.example.com/notify', secret: 'VJqChjZvtX5ugZfL', by: 'shape' },
  { what: 'a database connection string', resourceType: 'AWS::Events::ApiDestination', path: 'InvocationEndpoint', value: 'postgres://app:9Q3GPbDguSDMcmSa@orders.cluster-abc.eu-west-1.rds.amazonaws.com:5432/orders', secret: '9Q3GPbDguSDMcmSa', by: 'shape' },
  { what: 'an Azure storage connection string', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'DefaultEndpointsProtocol=https;AccountName=orders;AccountKey=bdu/SyPpt2caNe9OQ1uKScn/E9cZaTS3bkCfx4scIdx4GpIZV4dmvKGi9SSVtorcIIKKXkEAEJ4M3AWCIOu/kJ==', secret: 'bdu/SyPpt2caNe9OQ1uKScn/E9cZaTS3bkCfx4scIdx4GpIZV4dmvKGi9SSVtorcIIKKXkEAEJ4M3AWCIOu/kJ==', by: 'shape' },
  // No known shape: found by their entropy.
  { what: 'a random token of no known shape in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/4/Value', value: 'nFZvhMN6y104JRtWBzwlfvrzrPELs4XH3eLlfqRa', secret: 'nFZvhMN6y104JRtWBzwlfvrzrPELs4XH3eLlfqRa', by: 'entropy' },
  { what: 'a 32-byte hex key in a description', resourceType: 'AWS::Lambda::Function', path: 'Description', value: 'signing key 730cb140520c3e2b57d945ce1f1f9bb79d392b9b6406a61cb8fed77385c83e88', secret: '730cb140520c3e2b57d945ce1f1f9bb79d392b9b6406a61cb8fed77385c83e88', by: 'entropy' },
  { what: 'a registry auth inside a JSON value', resourceType: 'AWS::ImageBuilder::ContainerRecipe', path: 'DockerfileTemplateData', value: '{"auths":{"registry.example.com":{"auth":"ZGVwbG95OnBndjlVZHIweElvdnl2d1k1b241aDFHYkZnN3IycFNn"}}}', secret: 'ZGVwbG95OnBndjlVZHIweElvdnl2d1k1b241aDFHYkZnN3IycFNn', by: 'entropy' },
  { what: 'a Vault token in a tag', resourceType: 'AWS::S3::Bucket', path: 'Tags/5/Value', value: 'hvs.O1aMAwTeRy9YVqycHOgluNxT', secret: 'O1aMAwTeRy9YVqycHOgluNxT', by: 'entropy' },
  // Properties that carry secrets by nature: masked whatever the value looks like.
  { what: 'a Lambda environment variable (STRIPE_KEY)', resourceType: 'AWS::Lambda::Function', path: 'Environment/Variables/STRIPE_KEY', value: 'sk_live_M3ExJBst1yzuCVJoXSwT2iMc', secret: 'M3ExJBst1yzuCVJoXSwT2iMc', by: 'nature' },
  { what: 'a Lambda environment variable with a password of words', resourceType: 'AWS::Lambda::Function', path: 'Environment/Variables/LEGACY', value: 'correct-horse-battery-NdiIFp', secret: 'correct-horse-battery-NdiIFp', by: 'nature' },
  { what: 'a Lambda environment as a whole', resourceType: 'AWS::Lambda::Function', path: 'Environment', value: '{"Variables":{"STAGE":"prod","LEGACY":"Tr0ub4dor&3-u5fEdg"}}', secret: 'Tr0ub4dor&3-u5fEdg', by: 'nature' },
  { what: 'an SSM parameter value', resourceType: 'AWS::SSM::Parameter', path: 'Value', value: 'Tr0ub4dor&3-u5fEdg', secret: 'Tr0ub4dor&3-u5fEdg', by: 'nature' },
  { what: 'a CodeBuild NPM_AUTH value', resourceType: 'AWS::CodeBuild::Project', path: 'Environment/EnvironmentVariables/0/Value', value: 'deploy-46FVAd7hUCZ863BlgM', secret: '46FVAd7hUCZ863BlgM', by: 'nature' },
  { what: 'an ECS {Name: STRIPE_KEY, Value} pair', resourceType: 'AWS::ECS::TaskDefinition', path: 'ContainerDefinitions/0/Environment/0/Value', value: 'sk_live_M3ExJBst1yzuCVJoXSwT2iMc', secret: 'M3ExJBst1yzuCVJoXSwT2iMc', by: 'nature' },
  { what: 'an ECS environment as a whole', resourceType: 'AWS::ECS::TaskDefinition', path: 'ContainerDefinitions/0/Environment', value: '[{"Name":"STRIPE_KEY","Value":"sk_live_M3ExJBst1yzuCVJoXSwT2iMc"},{"Name":"LEGACY","Value":"correct-horse-battery-NdiIFp"}]', secret: 'correct-horse-battery-NdiIFp', by: 'nature' },
  { what: 'a Batch job environment value', resourceType: 'AWS::Batch::JobDefinition', path: 'ContainerProperties/Environment/0/Value', value: 'correct-horse-battery-NdiIFp', secret: 'correct-horse-battery-NdiIFp', by: 'nature' },
  { what: 'an App Runner environment value', resourceType: 'AWS::AppRunner::Service', path: 'SourceConfiguration/ImageRepository/ImageConfiguration/RuntimeEnvironmentVariables/0/Value', value: 'Tr0ub4dor&3-u5fEdg', secret: 'Tr0ub4dor&3-u5fEdg', by: 'nature' },
  { what: 'EC2 user data (base64 of export DB_PASSWORD=...)', resourceType: 'AWS::EC2::Instance', path: 'UserData', value: userData('#!/bin/bash\nexport DB_PASSWORD=DqisWLkTaVT7edfbt3NG\n'), secret: userData('#!/bin/bash\nexport DB_PASSWORD=DqisWLkTaVT7edfbt3NG\n'), by: 'nature' },
  { what: 'a launch template with user data, as a whole', resourceType: 'AWS::EC2::LaunchTemplate', path: 'LaunchTemplateData', value: `{"InstanceType":"t3.micro","UserData":"${userData('export DB_PASSWORD=DqisWLkTaVT7edfbt3NG')}"}`, secret: userData('export DB_PASSWORD=DqisWLkTaVT7edfbt3NG'), by: 'nature' },
  { what: 'a Secrets Manager secret string', resourceType: 'AWS::SecretsManager::Secret', path: 'SecretString', value: '{"username":"app","pwd_hint":"Tr0ub4dor&3-u5fEdg"}', secret: 'Tr0ub4dor&3-u5fEdg', by: 'nature' },
  { what: 'an event rule target\'s constant input', resourceType: 'AWS::Events::Rule', path: 'Targets/0/Input', value: '{"user":"etl","pin":"Xk4-walrus-Jq8"}', secret: 'Xk4-walrus-Jq8', by: 'nature' },
  // Secret by name, as before.
  { what: 'a master user password', resourceType: 'AWS::RDS::DBInstance', path: 'MasterUserPassword', value: 'Tr0ub4dor&3-u5fEdg', secret: 'Tr0ub4dor&3-u5fEdg', by: 'name' },
  { what: 'a nested stack\'s parameter named ...Pw', resourceType: 'AWS::CloudFormation::Stack', path: 'Parameters/AdminPw', value: 'correct-horse-battery-NdiIFp', secret: 'correct-horse-battery-NdiIFp', by: 'name' },
  { what: 'a nested stack\'s parameter named ...Creds', resourceType: 'AWS::CloudFormation::Stack', path: 'Parameters/DbCreds', value: 'etl:correct-horse-battery-NdiIFp', secret: 'correct-horse-battery-NdiIFp', by: 'name' },
  // A name written inside the value, before the secret, in properties whose name and nature say nothing.
  { what: 'a password in a state machine definition', resourceType: 'AWS::StepFunctions::StateMachine', path: 'DefinitionString', value: '{"StartAt":"Login","States":{"Login":{"Type":"Pass","Result":{"password":"Wq7-ostrich-Lm2Zp"},"End":true}}}', secret: 'Wq7-ostrich-Lm2Zp', by: 'named' },
  { what: 'a password flag in a container command', resourceType: 'AWS::ECS::TaskDefinition', path: 'ContainerDefinitions/0/Command/1', value: '--db-password=Hv3-pelican-Rt9Kd', secret: 'Hv3-pelican-Rt9Kd', by: 'named' },
  { what: 'a MySQL client\'s -p in a build spec', resourceType: 'AWS::CodeBuild::Project', path: 'Source/BuildSpec', value: 'phases:\n  build:\n    commands:\n      - mysql -uroot -pZb5-marmot-Qe4Wn < schema.sql', secret: 'Zb5-marmot-Qe4Wn', by: 'named' },
];

/** Ordinary values that must still be shown whole. */
export const ORDINARY_VALUES: ReadonlyArray<{ readonly resourceType: string; readonly path: string; readonly value: string }> = [
  { resourceType: 'AWS::S3::Bucket', path: 'BucketName', value: 'my-app-assets-bucket-2024' },
  { resourceType: 'AWS::EC2::Instance', path: 'InstanceType', value: 't3.micro' },
  { resourceType: 'AWS::S3::Bucket', path: 'Tags/9/Value', value: 'team-a' },
  { resourceType: 'AWS::EC2::Instance', path: 'ImageId', value: 'ami-0abcdef1234567890' },
  { resourceType: 'AWS::IAM::Role', path: 'RoleName', value: 'MyStack-MyFunctionServiceRole3C357FF2-1KQWOMDHF0IDK' },
  { resourceType: 'AWS::Lambda::Function', path: 'Code/S3Key', value: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.zip' },
  { resourceType: 'AWS::Cognito::UserPool', path: 'Policies/PasswordPolicy/MinimumLength', value: '12' },
];
