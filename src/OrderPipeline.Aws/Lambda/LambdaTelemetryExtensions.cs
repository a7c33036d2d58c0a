using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace OrderPipeline.Aws.Lambda;

/// <summary>Telemetry that outlives each invocation of a Lambda function.</summary>
public static class LambdaTelemetryExtensions
{
    /// <summary>
    /// In a Lambda sandbox (<c>AWS_LAMBDA_RUNTIME_API</c> set), registers the <see cref="TelemetryFlushExtension"/>
    /// with <typeparamref name="TFlush"/> as what it flushes, and records each invocation's answer for it. Elsewhere
    /// it adds nothing.
    /// </summary>
    public static TBuilder AddLambdaTelemetryFlush<TBuilder, TFlush>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
        where TFlush : class, ITelemetryFlush
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (string.IsNullOrEmpty(builder.Configuration["AWS_LAMBDA_RUNTIME_API"]))
        {
            return builder;
        }
        builder.Services.TryAddSingleton<LambdaInvocations>();
        builder.Services.TryAddSingleton<ITelemetryFlush, TFlush>();
        builder.Services.AddHostedService<TelemetryFlushExtension>();
        builder.Services.AddTransient<IStartupFilter, InvocationAnswersFilter>();
        return builder;
    }

    /// <summary>Puts, first in the pipeline, the step that records when the program has answered an invocation.</summary>
    private sealed class InvocationAnswersFilter(LambdaInvocations invocations) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (HttpContext context, RequestDelegate rest) =>
            {
                var requestId = LambdaInvocations.RequestIdOf(context.Request);
                try
                {
                    await rest(context).ConfigureAwait(false);
                }
                finally
                {
                    if (requestId is not null && invocations.Tracking)
                    {
                        invocations.AnsweredAtEndOf(context.Features.Get<IHttpActivityFeature>()?.Activity, requestId);
                    }
                }
            });
            next(app);
        };
    }
}
