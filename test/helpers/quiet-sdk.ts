// The AWS SDK's Node-version notice says nothing about the code under test; keep it out of test logs.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
