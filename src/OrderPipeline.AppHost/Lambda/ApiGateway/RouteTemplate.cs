namespace OrderPipeline.AppHost.Lambda.ApiGateway;

/// <summary>
/// A route's path as an HTTP API matches it: literal segments match themselves (case-sensitively), <c>{name}</c> matches
/// any one non-empty segment, and a last <c>{name+}</c> matches one or more segments. Where several routes match, the
/// most specific wins: the one without a greedy segment, then the one with the most literal segments.
/// </summary>
internal sealed class RouteTemplate
{
    private readonly Segment[] _segments;

    private RouteTemplate(string template, Segment[] segments)
    {
        Template = template;
        _segments = segments;
    }

    public string Template { get; }

    /// <summary>How specific the template is: higher wins among templates that match the same path.</summary>
    public int Specificity => (_segments.Any(s => s.Kind == SegmentKind.Greedy) ? 0 : 1_000) + _segments.Count(s => s.Kind == SegmentKind.Literal);

    public static RouteTemplate Parse(string template)
    {
        ArgumentException.ThrowIfNullOrEmpty(template);
        if (template[0] != '/')
        {
            throw new ArgumentException($"The path template '{template}' does not start with '/'.", nameof(template));
        }
        if (template == "/")
        {
            return new RouteTemplate(template, []);
        }
        var parts = template[1..].Split('/');
        var segments = new Segment[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0)
            {
                throw new ArgumentException($"The path template '{template}' has an empty segment.", nameof(template));
            }
            if (part[0] == '{' && part[^1] == '}')
            {
                var greedy = part.EndsWith("+}", StringComparison.Ordinal);
                var name = part[1..(greedy ? ^2 : ^1)];
                if (name.Length == 0 || name.Any(c => c is '{' or '}' or '+'))
                {
                    throw new ArgumentException($"The path template '{template}' has a malformed parameter '{part}'.", nameof(template));
                }
                if (greedy && i != parts.Length - 1)
                {
                    throw new ArgumentException($"In the path template '{template}', only the last segment may be greedy ('{part}').", nameof(template));
                }
                segments[i] = new Segment(greedy ? SegmentKind.Greedy : SegmentKind.Parameter, name);
            }
            else if (part.Contains('{', StringComparison.Ordinal) || part.Contains('}', StringComparison.Ordinal))
            {
                throw new ArgumentException($"In the path template '{template}', a parameter must be a whole segment ('{part}').", nameof(template));
            }
            else
            {
                segments[i] = new Segment(SegmentKind.Literal, part);
            }
        }
        return new RouteTemplate(template, segments);
    }

    /// <summary>Whether the (decoded) request path matches the template.</summary>
    public bool IsMatch(string path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/')
        {
            return false;
        }
        if (_segments.Length == 0)
        {
            return path == "/";
        }
        var parts = path[1..].Split('/');
        for (var i = 0; i < _segments.Length; i++)
        {
            var segment = _segments[i];
            if (i >= parts.Length)
            {
                return false;
            }
            switch (segment.Kind)
            {
                case SegmentKind.Literal when !string.Equals(parts[i], segment.Text, StringComparison.Ordinal):
                case SegmentKind.Parameter when parts[i].Length == 0:
                    return false;
                case SegmentKind.Greedy:
                    return parts.Skip(i).Any(p => p.Length > 0);
            }
        }
        return parts.Length == _segments.Length;
    }

    public override string ToString() => Template;

    private enum SegmentKind
    {
        Literal,
        Parameter,
        Greedy,
    }

    private readonly record struct Segment(SegmentKind Kind, string Text);
}
