"""The CSV uploads bucket: private, encrypted, TLS only, files expiring; S3 alone feeds the uploads queue."""

from __future__ import annotations


def _bucket(synth):
    [(bucket_id, bucket)] = synth.of_type("AWS::S3::Bucket").items()
    return bucket_id, bucket["Properties"]


def test_bucket_is_private_and_encrypted(synth):
    _, props = _bucket(synth)
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}


def test_bucket_refuses_every_request_without_tls(synth):
    bucket_id, _ = _bucket(synth)
    [(_, policy)] = synth.of_type("AWS::S3::BucketPolicy").items()
    assert policy["Properties"]["Bucket"] == {"Ref": bucket_id}
    [deny] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert deny["Principal"] == {"AWS": "*"} and deny["Action"] == "s3:*"


def test_files_expire_after_the_retention_period(synth):
    _, props = _bucket(synth)
    [rule] = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["ExpirationInDays"] == synth.config.batch_upload_retention_days
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}


def test_new_csv_files_are_announced_on_the_uploads_queue_which_only_this_bucket_may_send_to(synth):
    bucket_id, props = _bucket(synth)
    queue_id = synth.one("AWS::SQS::Queue", QueueName=f"{synth.config.resource_prefix()}-uploads")[0]
    [config] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Event"] == "s3:ObjectCreated:*"
    assert config["Queue"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"},
                                                  {"Name": "suffix", "Value": ".csv"}]
    [(policy_id, policy)] = [(i, p) for i, p in synth.of_type("AWS::SQS::QueuePolicy").items()
                             if p["Properties"]["Queues"] == [{"Ref": queue_id}]]
    [statement] = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"} and statement["Action"] == "sqs:SendMessage"
    assert synth.render(statement["Condition"]["ArnEquals"]["aws:SourceArn"]) == (
        f"arn:${{AWS::Partition}}:s3:::{synth.config.resource_prefix()}-uploads-${{AWS::AccountId}}-${{AWS::Region}}")
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert policy_id in synth.resources[bucket_id]["DependsOn"]  # S3 checks the queue accepts it at creation


def test_only_the_api_writes_and_only_the_upload_worker_reads_the_uploads(synth, wiring):
    objects = f"arn:${{AWS::Partition}}:s3:::{synth.config.resource_prefix()}-uploads-${{AWS::AccountId}}-${{AWS::Region}}/uploads/*"
    for spec in wiring.functions:
        statements = synth.function_statements(spec.name)
        s3_actions = {a for a in synth.allowed_actions(statements) if a.startswith("s3:")}
        assert s3_actions == {"api": {"s3:PutObject"}, "batch_uploads": {"s3:GetObject"}}.get(spec.name, set())
        for action in s3_actions:
            assert [synth.render(r) for r in synth.allowed_resources(statements, action)] == [objects]
