# terraform test for a moat stack without AWS: the real provider's schemas and validators, a
# mock provider's values. Copied next to main.tf.json by test/terraform/terraform.test.ts, with
# the variables line filled in for the stack (allow_example_ca where the stack declares it).
#
# Mocked strings are random text, but at apply the provider validates known values: every
# attribute another resource reads as an ARN needs an ARN-shaped default, and the interface
# endpoint's dns_entry[0] needs one entry.

mock_provider "aws" {
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:moat-mock" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/moat-mock" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:moat-mock" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::moat-mock" }
  }
  mock_resource "aws_iot_policy" {
    defaults = { arn = "arn:aws:iot:eu-west-1:123456789012:policy/moat-mock" }
  }
  mock_resource "aws_iot_ca_certificate" {
    defaults = { arn = "arn:aws:iot:eu-west-1:123456789012:cacert/moat-mock" }
  }
  mock_resource "aws_iot_thing_group" {
    defaults = { arn = "arn:aws:iot:eu-west-1:123456789012:thinggroup/moat-mock" }
  }
  mock_resource "aws_vpc_endpoint" {
    defaults = {
      dns_entry = [{ dns_name = "vpce-mock.iot.eu-west-1.vpce.amazonaws.com", hosted_zone_id = "Z0MOCK" }]
    }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012", arn = "arn:aws:iam::123456789012:user/moat-mock" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws", dns_suffix = "amazonaws.com" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
}

# __VARIABLES__

run "plan" {
  command = plan
}

run "apply" {
  command = apply
}
