namespace Aspire.Hosting.ApplicationModel;

/// <summary>A function invoked once with <see cref="EventJson"/> when it starts, ending with that invocation.</summary>
/// <param name="EventJson">The event passed to the function.</param>
public sealed record LambdaInvocationOnStartAnnotation(string EventJson) : IResourceAnnotation;
