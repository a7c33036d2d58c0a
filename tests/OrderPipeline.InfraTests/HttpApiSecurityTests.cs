using OrderPipeline.AppHost.Deployment;
using OrderPipeline.InfraTests.Support;
using Xunit;
using YamlDotNet.RepresentationModel;
using static OrderPipeline.AppHost.Deployment.CloudFormationTemplate;

namespace OrderPipeline.InfraTests;

/// <summary>
/// The HTTP API's security in AWS: a JWT authorizer whose issuer and audience are stack parameters on every route,
/// per-route throttling, and the Api told to take the customer from the verified claims.
/// </summary>
public sealed class HttpApiSecurityTests
{
    private readonly CloudFormationTemplate template = RepositoryTemplate.Load();

    [Fact]
    public void Jwt_authorizer_checks_the_issuer_and_audience_given_as_parameters_without_defaults()
    {
        var authorizer = template.Properties(Assert.Single(template.OfType("AWS::ApiGatewayV2::Authorizer")));

        Assert.Equal("JWT", Scalar(authorizer["AuthorizerType"]));
        Assert.Equal("Ref:HttpApi", Describe(authorizer["ApiId"]));
        Assert.Equal(["$request.header.Authorization"], Items(authorizer["IdentitySource"]).Select(Scalar));
        Assert.Equal("Ref:JwtIssuer", Describe(At(authorizer, "JwtConfiguration", "Issuer")));
        Assert.Equal(["Ref:JwtAudience"], Items(At(authorizer, "JwtConfiguration", "Audience")).Select(Describe));

        // No default: a stack cannot be created with an open or placeholder authority.
        Assert.Null(Child(template.Parameter("JwtIssuer"), "Default"));
        Assert.Null(Child(template.Parameter("JwtAudience"), "Default"));
        Assert.StartsWith("^https://", Scalar(Child(template.Parameter("JwtIssuer"), "AllowedPattern")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_route_requires_the_jwt_authorizer()
    {
        var routes = template.OfType("AWS::ApiGatewayV2::Route").ToList();
        Assert.Equal(2, routes.Count);
        foreach (var route in routes.Select(template.Properties))
        {
            Assert.Equal("JWT", Scalar(route["AuthorizationType"]));
            Assert.Equal("Ref:JwtAuthorizer", Describe(route["AuthorizerId"]));
        }
    }

    [Fact]
    public void Each_route_has_its_own_throttle_within_the_stage_default()
    {
        var stage = template.Properties(Assert.Single(template.OfType("AWS::ApiGatewayV2::Stage")));
        var defaultRate = template.IntegerValue(At(stage, "DefaultRouteSettings", "ThrottlingRateLimit")!);
        var routeSettings = (YamlMappingNode)stage["RouteSettings"];

        var routeKeys = template.OfType("AWS::ApiGatewayV2::Route").Select(r => Scalar(template.Properties(r)["RouteKey"])).Order(StringComparer.Ordinal);
        Assert.Equal(routeKeys, routeSettings.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).Order(StringComparer.Ordinal));
        foreach (var (_, settings) in routeSettings.Children)
        {
            var rate = template.IntegerValue(Child(settings, "ThrottlingRateLimit")!);
            var burst = template.IntegerValue(Child(settings, "ThrottlingBurstLimit")!);
            Assert.InRange(rate, 1, defaultRate);
            Assert.True(burst >= rate);
        }

        // Route settings may only name routes that exist when the stage is created.
        Assert.Equal(
            ["CreateOrderRoute", "GetOrderRoute"],
            Items(Child(template.Resources["HttpApiDefaultStage"], "DependsOn")).Select(Scalar).Order(StringComparer.Ordinal));
        Assert.True(Scalar(At(routeSettings, "POST /api/orders", "ThrottlingRateLimit"))
            != Scalar(At(routeSettings, "GET /api/orders/{order_id}", "ThrottlingRateLimit")));
    }

    [Fact]
    public void Api_is_told_the_issuer_and_audience_and_to_take_the_customer_from_the_claims_api_gateway_verified()
    {
        var variables = (YamlMappingNode)At(template.Properties("ApiFunction"), "Environment", "Variables")!;

        Assert.Equal("Ref:JwtIssuer", Describe(variables["Auth__Issuer"]));
        Assert.Equal("Ref:JwtAudience", Describe(variables["Auth__Audience"]));
        Assert.Equal("true", Scalar(variables["Auth__TrustApiGatewayClaims"]));
    }
}
