using OrderPipeline.Messaging.Consuming;
using OrderPipeline.Notifier.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapSqsEvents();
app.MapDefaultEndpoints();

app.Run();
