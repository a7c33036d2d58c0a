using System.Diagnostics;

namespace OrderPipeline.Benchmarks;

/// <summary>
/// The console's progress display: the phase's name and a running count, redrawn in place on a terminal and as a
/// line every few seconds when the output goes to a file (a test, CI), so a long run never looks stuck.
/// </summary>
public sealed class BenchmarkProgress : IDisposable
{
    private readonly TextWriter _output;
    private readonly bool _inPlace;
    private readonly Timer _timer;
    private readonly Lock _gate = new();
    private string _phase = "";
    private int _total;
    private int _done;
    private long _started;

    public BenchmarkProgress(TextWriter output)
    {
        _output = output;
        _inPlace = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        _timer = new Timer(_ => Draw(final: false), null, TimeSpan.FromSeconds(1), _inPlace ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(5));
    }

    public void Begin(string phase, int total)
    {
        lock (_gate)
        {
            _phase = phase;
            _total = total;
            _started = Stopwatch.GetTimestamp();
            Interlocked.Exchange(ref _done, 0);
        }
        if (_inPlace)
        {
            Draw(final: false);
        }
    }

    public void Increment(int count = 1) => Interlocked.Add(ref _done, count);

    public void Set(int done) => Volatile.Write(ref _done, done);

    public void End() => Draw(final: true);

    /// <summary>A line of its own (a phase's result), below the progress line.</summary>
    public void Say(string line)
    {
        lock (_gate)
        {
            _output.WriteLine(_inPlace ? "\r\u001b[K" + line : line);
        }
    }

    private void Draw(bool final)
    {
        lock (_gate)
        {
            if (_phase.Length == 0)
            {
                return;
            }
            var done = Volatile.Read(ref _done);
            var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
            // A run for a duration has no total to count towards.
            var line = $"[{_phase}] {done}{(_total > 0 ? $"/{_total}" : "")} in {seconds:0.0} s ({(seconds > 0 ? done / seconds : 0):0}/s)";
            if (_inPlace)
            {
                _output.Write("\r\u001b[K" + line + (final ? Environment.NewLine : ""));
            }
            else
            {
                _output.WriteLine(line);
            }
            if (final)
            {
                _phase = "";
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
