import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudFormationCustomResourceDeleteEvent } from 'aws-lambda';
import { responseTo, sendResponse } from '../../lambda/shared/cloudformation-response';

describe('sendResponse', () => {
  test('PUTs the response as JSON to the URL CloudFormation gave', async () => {
    // GIVEN a stand-in for the pre-signed S3 URL on 127.0.0.1
    const received: { method?: string; body: string } = { body: '' };
    const server = createServer((req, res) => {
      received.method = req.method;
      req.on('data', (chunk) => (received.body += chunk));
      req.on('end', () => res.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      // WHEN
      await sendResponse(`http://127.0.0.1:${port}/response?signature=x`, {
        Status: 'SUCCESS',
        PhysicalResourceId: 'endpoint-cleanup:churn-prod',
        StackId: 'stack',
        RequestId: 'request',
        LogicalResourceId: 'EndpointCleanup',
      });
    } finally {
      server.close();
    }
    // THEN
    expect(received.method).toBe('PUT');
    expect(JSON.parse(received.body)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'endpoint-cleanup:churn-prod' });
  });
});

describe('responseTo', () => {
  const event: CloudFormationCustomResourceDeleteEvent = {
    RequestType: 'Delete',
    ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:cleanup',
    ResponseURL: 'https://example.invalid/response',
    StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/mlops/guid',
    RequestId: 'request-1',
    LogicalResourceId: 'Cleanup',
    PhysicalResourceId: 'cleanup:churn',
    ResourceType: 'Custom::Cleanup',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:cleanup' },
  };

  test('answers for the request it was given', () => {
    expect(responseTo(event, 'SUCCESS', 'cleanup:churn')).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: 'cleanup:churn',
      StackId: event.StackId,
      RequestId: 'request-1',
      LogicalResourceId: 'Cleanup',
    });
  });

  test('always gives CloudFormation a reason for a failure', () => {
    expect(responseTo(event, 'FAILED', 'cleanup:churn')).toMatchObject({ Status: 'FAILED', Reason: 'failed' });
    expect(responseTo(event, 'FAILED', 'cleanup:churn', 'access denied')).toMatchObject({ Reason: 'access denied' });
  });
});
