namespace OrderPipeline.Processor.Outbox;

/// <summary>Fits an error message into <c>outbox.last_error</c>, so recording a failure can never fail itself.</summary>
public static class ErrorText
{
    public const int MaxLength = 500;

    /// <summary>
    /// At most <see cref="MaxLength"/> UTF-16 units (MySQL counts characters, so it holds them), never ending on half a
    /// surrogate pair, which would reach the database as an invalid character.
    /// </summary>
    public static string Cut(string error)
    {
        if (error.Length <= MaxLength)
        {
            return error;
        }
        var length = char.IsHighSurrogate(error[MaxLength - 1]) ? MaxLength - 1 : MaxLength;
        return error[..length];
    }
}
