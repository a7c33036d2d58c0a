namespace OrderPipeline.AppHost.Lambda.EventSources;

/// <summary>
/// A function's invoker as the registry has it at each call, so that an event source or a schedule follows the
/// function's host if it is replaced (the function restarted). Call it only after the function has started.
/// </summary>
internal sealed class RegisteredInvoker(LambdaFunctions functions, LambdaFunctionResource function) : ILambdaInvoker
{
    public string FunctionName => function.Name;

    public string PassThroughPath => functions.InvokerFor(function).PassThroughPath;

    public Task<LambdaInvocationResult> InvokeAsync(LambdaRequest request, CancellationToken cancellationToken) =>
        functions.InvokerFor(function).InvokeAsync(request, cancellationToken);
}
