namespace OrderPipeline.InfraTests.Support;

/// <summary>
/// A folder of stand-in commands (aws, dotnet, curl, zip), put first on PATH so that the deployment scripts call them
/// instead of the real ones: each is a small sh script that appends "&lt;tool&gt; &lt;arguments&gt;" to $FAKE_LOG.
/// </summary>
public sealed class FakeCommands : IDisposable
{
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("orderpipeline-fakes-").FullName;

    /// <summary>Writes the command <paramref name="name"/>, whose sh <paramref name="body"/> runs after it has logged its call.</summary>
    public void Write(string name, string body)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, $"#!/bin/sh\necho \"{name} $*\" >> \"$FAKE_LOG\"\n{body}\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
