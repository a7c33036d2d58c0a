using System.Security.Claims;

namespace OrderPipeline.Api.Authentication;

/// <summary>The signed-in customer: a token's subject is the customer id its orders are placed and read under.</summary>
public static class CustomerIdentity
{
    public const string SubjectClaim = "sub";

    /// <summary>The token's subject, or null when the caller is anonymous (an open Api) or the token names none.</summary>
    public static string? SubjectOf(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true && user.FindFirst(SubjectClaim)?.Value is { Length: > 0 } subject ? subject : null;
}
