using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrderPipeline.AppHost.Lambda;

namespace OrderPipeline.AppHostTests;

/// <summary>A sandbox's Extensions API, called over HTTP as an extension in the program calls it.</summary>
public sealed class LambdaExtensionsApiTests : IAsyncLifetime
{
    private LambdaExtensionsApi _api = null!;
    private HttpClient _http = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _api = await LambdaExtensionsApi.StartAsync("notification-sender", "$LATEST", Cancellation);
        _http = new HttpClient { BaseAddress = new Uri($"http://{_api.Address}/2020-01-01/extension/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _api.DisposeAsync();
    }

    private async Task<HttpResponseMessage> RegisterAsync(params string[] events)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "register") { Content = JsonContent.Create(new { events }) };
        request.Headers.Add("Lambda-Extension-Name", "telemetry");
        return await _http.SendAsync(request, Cancellation);
    }

    private async Task<string> RegisteredIdAsync()
    {
        using var response = await RegisterAsync("INVOKE");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Lambda-Extension-Identifier").Single();
    }

    private Task<HttpResponseMessage> NextAsync(string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "event/next");
        request.Headers.Add("Lambda-Extension-Identifier", id);
        return _http.SendAsync(request, Cancellation);
    }

    [Fact]
    public async Task Init_is_over_only_when_the_registered_extension_calls_for_its_next_event()
    {
        var id = await RegisteredIdAsync();
        Assert.Equal(1, _api.Registered);
        _api.CloseRegistration();

        var allWaiting = _api.AllWaitingAsync(Cancellation);
        await Task.Delay(100, Cancellation);
        Assert.False(allWaiting.IsCompleted, "init ended before the extension called for its next event");
        var next = NextAsync(id);

        await allWaiting.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        Assert.False(next.IsCompleted, "the call for the next event returned before any invocation");
    }

    [Fact]
    public async Task An_invocation_answers_the_waiting_call_with_its_request_id_and_deadline_and_the_sandbox_is_busy_until_the_next_call()
    {
        var id = await RegisteredIdAsync();
        _api.CloseRegistration();
        var next = NextAsync(id);
        await _api.AllWaitingAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        var deadline = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(30).ToUnixTimeMilliseconds());

        _api.Invoke("request-1", deadline);

        using var response = await next.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
        using var invoke = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal("INVOKE", invoke.RootElement.GetProperty("eventType").GetString());
        Assert.Equal("request-1", invoke.RootElement.GetProperty("requestId").GetString());
        Assert.Equal(deadline.ToUnixTimeMilliseconds(), invoke.RootElement.GetProperty("deadlineMs").GetInt64());
        // The extension works on the event: the sandbox may not be frozen yet.
        var allWaiting = _api.AllWaitingAsync(Cancellation);
        await Task.Delay(100, Cancellation);
        Assert.False(allWaiting.IsCompleted);
        _ = NextAsync(id);
        await allWaiting.WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
    }

    [Fact]
    public async Task With_no_extension_registered_the_sandbox_is_at_once_free_to_freeze()
    {
        _api.CloseRegistration();

        await _api.AllWaitingAsync(Cancellation).WaitAsync(TimeSpan.FromSeconds(1), Cancellation);
    }

    [Fact]
    public async Task A_registration_after_init_and_a_call_with_an_unknown_identifier_are_refused()
    {
        _api.CloseRegistration();

        using var late = await RegisterAsync("INVOKE");
        using var unknown = await NextAsync("not-registered");
        using var badEvents = await RegisterAsync("LOGS");

        Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badEvents.StatusCode);
        Assert.Equal(0, _api.Registered);
    }
}
