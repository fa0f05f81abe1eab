// FuncRec on Azure: a Flex Consumption Function App that reaches Storage, Cosmos DB and Application Insights
// through one user-assigned managed identity. No keys or connection strings are created or read.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and location it derives a unique token for every resource name.')
param environmentName string

@minLength(1)
@description('Region of every resource; it must offer the Flex Consumption plan and serverless Cosmos DB.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the developer (or pipeline) running azd. When set, it gets data-plane access to the storage account and Cosmos DB so the local host can run against the deployed resources.')
param principalId string = ''

@description('Kind of principal that principalId names.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Name of the resource group to create; empty derives rg-<environmentName>.')
param resourceGroupName string = ''

@description('Shared provisioned throughput (RU/s, at least 400) of the Cosmos DB database; 0 makes the account serverless.')
@minValue(0)
@maxValue(1000000)
param cosmosThroughput int = 0

@description('Memory of each Function App instance (MB).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound of Function App instances the plan scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Always-ready instances for the HTTP functions; 0 lets the app scale to zero (cold starts, no idle cost).')
@minValue(0)
@maxValue(20)
param alwaysReadyHttp int = 0

@description('Put the app into a virtual network and reach Storage and Cosmos DB through private endpoints only.')
param vnetEnabled bool = false

@description('NCRONTAB schedule (six fields) of the fine-tune timer. A tick runs a cycle only when enough new data has arrived or a drift alarm asked for one, so it can be frequent.')
param fineTuneSchedule string = '0 */5 * * * *'

@description('How often each instance checks the active model pointer and changed items (seconds): the bound on how long a new model takes to reach every instance.')
@minValue(1)
param modelRefreshSeconds int = 30

@description('Browser origins allowed to call the API (CORS); empty allows none.')
param corsAllowedOrigins array = []

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

var functionAppName = 'func-api-${resourceToken}'
// Flex Consumption pulls the app package from this blob container.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'

// Names the app reads from its settings (docs/settings.md); created here, passed to the app from here.
var eventQueueName = 'funcrec-events'
var modelContainerName = 'funcrec-models'
var eventLogContainerName = 'funcrec-eventlog'
var cosmosDatabaseName = 'funcrec'
var usersContainerName = 'users'
var itemsContainerName = 'items'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    containerNames: [
      modelContainerName
      eventLogContainerName
    ]
    queueNames: [
      eventQueueName
      '${eventQueueName}-poison'
    ]
    publicNetworkAccess: !vnetEnabled
  }
}

module cosmos 'app/cosmos.bicep' = {
  name: 'cosmos'
  scope: rg
  params: {
    accountName: 'cosmos-${resourceToken}'
    location: location
    tags: tags
    databaseName: cosmosDatabaseName
    usersContainerName: usersContainerName
    itemsContainerName: itemsContainerName
    throughput: cosmosThroughput
    publicNetworkAccess: !vnetEnabled
  }
}

module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    vnetName: 'vnet-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: storage.outputs.name
    cosmosAccountName: cosmos.outputs.name
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosAccountName: cosmos.outputs.name
  }
}

module developerRbac 'app/developer-rbac.bicep' = if (!empty(principalId)) {
  name: 'developer-rbac'
  scope: rg
  params: {
    principalId: principalId
    principalType: principalType
    storageAccountName: storage.outputs.name
    cosmosAccountName: cosmos.outputs.name
  }
  dependsOn: [
    // Cosmos DB rejects concurrent changes to its SQL role assignments.
    rbac
  ]
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    identityName: identity.outputs.name
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    cosmosAccountName: cosmos.outputs.name
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttp: alwaysReadyHttp
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
    corsAllowedOrigins: corsAllowedOrigins
    eventQueueName: eventQueueName
    fineTuneSchedule: fineTuneSchedule
    modelContainerName: modelContainerName
    eventLogContainerName: eventLogContainerName
    cosmosDatabaseName: cosmosDatabaseName
    usersContainerName: usersContainerName
    itemsContainerName: itemsContainerName
    modelRefreshSeconds: modelRefreshSeconds
  }
  dependsOn: [
    // The app starts with its identity already allowed to reach storage and telemetry.
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_URI string = api.outputs.uri
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output AZURE_STORAGE_QUEUE_ENDPOINT string = storage.outputs.queueEndpoint
output AZURE_COSMOS_ACCOUNT_NAME string = cosmos.outputs.name
output AZURE_COSMOS_ENDPOINT string = cosmos.outputs.endpoint
output AZURE_COSMOS_DATABASE string = cosmosDatabaseName
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.connectionString
output FUNCREC_EVENT_QUEUE string = eventQueueName
output FUNCREC_MODEL_CONTAINER string = modelContainerName
output FUNCREC_EVENTLOG_CONTAINER string = eventLogContainerName
