using OrderPipeline.Migrations;
using OrderPipeline.Data;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddMySqlDataSource("orders");
builder.Services.AddOptions<MigrationOptions>().BindConfiguration(MigrationOptions.SectionName);
builder.Services.AddSingleton<DatabaseMigrator>();

var app = builder.Build();

if (!MigrationEndpoints.RunsInLambda(app.Configuration))
{
    return await app.RunOnceAsync();
}

app.MapMigrations();
app.MapDefaultEndpoints();
await app.RunAsync();
return 0;
