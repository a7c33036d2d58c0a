using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace OrderPipeline.Api.Authentication;

/// <summary>
/// Three ways to run: open (nothing configured: a laptop, the tests), checking JWTs itself (<c>Auth:Authority</c>), or
/// behind API Gateway's JWT authorizer (<c>Auth:TrustApiGatewayClaims</c>, in AWS).
/// </summary>
public static partial class AuthenticationExtensions
{
    /// <summary>The policy the orders endpoints require: a signed-in caller, unless the Api runs open.</summary>
    public const string CustomerPolicy = "customer";

    public static IHostApplicationBuilder AddCustomerAuthentication(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        builder.Services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName);
        var open = !settings.RequiresToken;
        if (!string.IsNullOrEmpty(settings.Authority))
        {
            builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
            {
                options.Authority = settings.Authority;
                options.Audience = settings.Audience;
                // Keep "sub" as "sub": the customer id is read from it by that name.
                options.MapInboundClaims = false;
            });
        }
        else if (settings.TrustApiGatewayClaims)
        {
            builder.Services.AddAuthentication(ApiGatewayClaimsHandler.SchemeName)
                .AddScheme<AuthenticationSchemeOptions, ApiGatewayClaimsHandler>(ApiGatewayClaimsHandler.SchemeName, _ => { });
        }
        else
        {
            // No scheme: every caller is anonymous, and the policy below lets them in.
            builder.Services.AddAuthentication();
        }
        builder.Services.AddAuthorizationBuilder().AddPolicy(CustomerPolicy, policy =>
        {
            if (open)
            {
                policy.RequireAssertion(_ => true);
            }
            else
            {
                policy.RequireAuthenticatedUser();
            }
        });
        return builder;
    }

    /// <summary>Authenticates each request and says at start which way the Api is protected (loudly when it is not).</summary>
    public static WebApplication UseCustomerAuthentication(this WebApplication app)
    {
        var settings = app.Configuration.GetSection(AuthOptions.SectionName).Get<AuthOptions>() ?? new AuthOptions();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthenticationExtensions));
        if (!string.IsNullOrEmpty(settings.Authority))
        {
            LogJwt(logger, settings.Authority, settings.Audience ?? "(any)");
        }
        else if (settings.TrustApiGatewayClaims)
        {
            LogApiGateway(logger);
        }
        else
        {
            LogOpen(logger);
        }
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    [LoggerMessage(LogLevel.Information, "The Api checks JWTs from {Authority} for audience {Audience}; a token's subject is the customer")]
    private static partial void LogJwt(ILogger logger, string authority, string audience);

    [LoggerMessage(LogLevel.Information, "The Api trusts the JWT claims API Gateway's authorizer checked; a token's subject is the customer")]
    private static partial void LogApiGateway(ILogger logger);

    [LoggerMessage(LogLevel.Warning, "The Api is OPEN: no Auth:Authority is configured, so anyone who can reach it may place "
        + "and read orders for any customer. Set Auth:Authority (and Auth:Audience) to require a JWT")]
    private static partial void LogOpen(ILogger logger);
}
