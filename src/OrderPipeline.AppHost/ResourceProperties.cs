using System.Collections.Immutable;

namespace OrderPipeline.AppHost;

/// <summary>Sets a property on a snapshot's list, keeping the others (the dashboard shows highlighted ones up front).</summary>
internal static class ResourceProperties
{
    public static ImmutableArray<ResourcePropertySnapshot> With(this ImmutableArray<ResourcePropertySnapshot> properties,
        string name, string displayName, object? value, bool highlighted = false, int sortOrder = 0) =>
        [.. properties.Where(p => p.Name != name), new ResourcePropertySnapshot(name, value)
        {
            DisplayName = displayName,
            IsHighlighted = highlighted,
            SortOrder = sortOrder,
        }];
}
