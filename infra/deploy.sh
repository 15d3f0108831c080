#!/usr/bin/env bash
# Deploy the Creditdesk backend to the AWS account of this shell's credentials: one command.
#
#   SENDER_ADDRESSES='*@acme.example' infra/deploy.sh STACK_NAME [REGION]
#
# SENDER_ADDRESSES (required): the addresses the tenants send from, comma-separated
# (*@domain for any address at a verified domain); the only ones the stack may send mail
# From. Deploy again with the list extended before a new tenant's first send.
# Needs: the project set up (make test or make demo once), the AWS CLI and the AWS SAM CLI,
# credentials allowed to create the stack (CloudFormation, IAM roles, Lambda, API Gateway,
# DynamoDB, S3, SQS, SNS, SES, EventBridge). NUMPY_LAYER_ARN overrides the numpy layer (by
# default the newest AWS SDK for pandas layer for Python 3.11 in the region).
set -euo pipefail
stack=${1:?usage: infra/deploy.sh STACK_NAME [REGION]}
region=${2:-${AWS_DEFAULT_REGION:-eu-west-2}}
senders=${SENDER_ADDRESSES:?set SENDER_ADDRESSES, e.g. SENDER_ADDRESSES='*@acme.example' (see docs/deploy.md)}
cd "$(dirname "$0")/.."
out=build/deploy
layer=${NUMPY_LAYER_ARN:-$(aws lambda list-layer-versions --region "$region" \
  --layer-name "arn:aws:lambda:${region}:336392948345:layer:AWSSDKPandas-Python311" \
  --query 'LayerVersions[0].LayerVersionArn' --output text)}
AWS_DEFAULT_REGION=$region .venv/bin/python -m backend.ops package "$out"
sam deploy --template-file "$out/sam.json" --stack-name "$stack" --region "$region" \
  --resolve-s3 --capabilities CAPABILITY_IAM CAPABILITY_AUTO_EXPAND \
  --parameter-overrides "NumpyLayerArn=$layer" "SenderAddresses=$senders" \
  --no-fail-on-empty-changeset
aws cloudformation describe-stacks --stack-name "$stack" --region "$region" \
  --query 'Stacks[0].Outputs' --output table
