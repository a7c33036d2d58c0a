using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace OrderPipeline.Tests.Shared;

/// <summary>
/// One of the services, hosted in-process with its real Program and the given settings (so its hosted
/// consumers and relay run here, and coverage sees them). <typeparamref name="TMarker"/> is any public type of its assembly.
/// </summary>
public sealed class ServiceFactory<TMarker>(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<TMarker>
    where TMarker : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}

public static class SettingsExtensions
{
    public static IReadOnlyDictionary<string, string> With(this IReadOnlyDictionary<string, string> settings, params (string Key, string Value)[] overrides)
    {
        var copy = settings.ToDictionary(s => s.Key, s => s.Value);
        foreach (var (key, value) in overrides)
        {
            copy[key] = value;
        }
        return copy;
    }
}
