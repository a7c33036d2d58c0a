using OrderPipeline.Api.Authentication;
using OrderPipeline.Api.Extensions;
using OrderPipeline.Api.Orders;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseExceptionHandler();
app.UseProblemStatusCodePages();
app.UseCustomerAuthentication();
app.UseRateLimiter();
app.MapOpenApi();
app.MapOrdersApi();
app.MapDefaultEndpoints();

app.Run();
