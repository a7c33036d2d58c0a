namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>
/// API Gateway's throttling of one route: a bucket of <c>burst</c> tokens, full at first, refilled at <c>rate</c> tokens
/// a second; a request takes a token, and a request that finds none is throttled (429).
/// </summary>
internal sealed class TokenBucket
{
    private readonly Lock _lock = new();
    private readonly double _rate;
    private readonly int _burst;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _refilledAt;

    public TokenBucket(double rate, int burst, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rate);
        ArgumentOutOfRangeException.ThrowIfNegative(burst);
        _rate = rate;
        _burst = burst;
        _time = time;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    public bool TryTake()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_burst, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * _rate));
            _refilledAt = now;
            if (_tokens < 1)
            {
                return false;
            }
            _tokens -= 1;
            return true;
        }
    }
}
