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

    /// <summary>The function's ARN in the local account and region, as the event sources name the queues'.</summary>
    public static string FunctionArn(string functionName) =>
        $"arn:aws:lambda:{SqsEmulatorResource.Region}:{EventSources.SqsLambdaEvent.LocalAccount}:function:{functionName}";

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
