using System.Collections.Concurrent;

namespace OrderPipeline.AppHost.Lambda;

/// <summary>The running functions of the app: what event sources, gateways and schedules invoke through.</summary>
internal sealed class LambdaFunctions
{
    private readonly ConcurrentDictionary<string, ILambdaInvoker> _invokers = new(StringComparer.Ordinal);

    /// <summary>The function's invoker, once the function has started (wait for the resource first).</summary>
    public ILambdaInvoker InvokerFor(LambdaFunctionResource function) =>
        _invokers.TryGetValue(function.Name, out var invoker)
            ? invoker
            : throw new InvalidOperationException($"The function {function.Name} has not started.");

    public void Add(ILambdaInvoker invoker) => _invokers[invoker.FunctionName] = invoker;
}
