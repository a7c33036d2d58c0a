using System.Globalization;
using System.Text.Json;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>
/// The invocation context the Web Adapter passes the program on every request it forwards, as <c>x-amzn-lambda-context</c>:
/// the request id, the deadline, the function's ARN and its configuration.
/// </summary>
internal static class LambdaContext
{
    public const string Header = "x-amzn-lambda-context";

    // The account and region of every local ARN: nothing local is in an account.
    private const string LocalArnPrefix = "arn:aws:lambda:us-east-1:000000000000:function:";

    public static string FunctionArn(string functionName) => LocalArnPrefix + functionName;

    /// <summary>The header's JSON for one invocation.</summary>
    public static string Json(string requestId, DateTimeOffset deadline, LambdaFunctionResource function) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["request_id"] = requestId,
            ["deadline"] = deadline.ToUnixTimeMilliseconds(),
            ["invoked_function_arn"] = FunctionArn(function.Name),
            ["env_config"] = new Dictionary<string, string>
            {
                ["function_name"] = function.Name,
                ["memory"] = function.Options.MemorySizeMb.ToString(CultureInfo.InvariantCulture),
                ["version"] = "$LATEST",
            },
        });
}
