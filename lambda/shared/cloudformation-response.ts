import * as http from 'node:http';
import * as https from 'node:https';
import type { CloudFormationCustomResourceEvent, CloudFormationCustomResourceResponse } from 'aws-lambda';

/**
 * How this package's custom-resource functions answer CloudFormation themselves, invoked directly
 * by it (no provider framework: one function per custom resource instead of four and a state machine).
 */
/** PUTs the response to the pre-signed S3 URL CloudFormation waits on (https; http for local tests). */
export function sendResponse(responseUrl: string, response: CloudFormationCustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  const { request } = responseUrl.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const put = request(responseUrl, { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`CloudFormation response rejected with HTTP ${res.statusCode}`))));
    });
    put.once('error', reject);
    put.end(body);
  });
}

/** The response to `event`: SUCCESS, or FAILED with the reason CloudFormation shows. */
export function responseTo(
  event: CloudFormationCustomResourceEvent,
  status: 'SUCCESS' | 'FAILED',
  physicalResourceId: string,
  reason?: string,
): CloudFormationCustomResourceResponse {
  const common = { PhysicalResourceId: physicalResourceId, StackId: event.StackId, RequestId: event.RequestId, LogicalResourceId: event.LogicalResourceId };
  return status === 'SUCCESS' ? { ...common, Status: status, Reason: reason } : { ...common, Status: status, Reason: reason ?? 'failed' };
}
