namespace OrderPipeline.AppHost.Hosting;

/// <summary>Something the machine lacks; its message is the one line a person needs (what to install).</summary>
public sealed class PrerequisiteMissingException : Exception
{
    public PrerequisiteMissingException() { }
    public PrerequisiteMissingException(string message) : base(message) { }
    public PrerequisiteMissingException(string message, Exception innerException) : base(message, innerException) { }
}
