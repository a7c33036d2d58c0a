namespace OrderPipeline.AppHost.Hosting;

/// <summary>The states Aspire's dashboard shows for a resource.</summary>
public enum ResourceState
{
    NotStarted,
    Waiting,
    Starting,
    Running,
    Healthy,
    Unhealthy,
    Restarting,
    Exited,
    FailedToStart,
    Stopped,
}
