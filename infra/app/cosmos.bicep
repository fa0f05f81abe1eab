// Cosmos DB for NoSQL: user state, the item catalog and remembered client event ids.
// Keys are disabled; the app's identity has data-plane rights only, so the database and containers are created here.
param accountName string
param location string
param tags object
param databaseName string
param usersContainerName string
param itemsContainerName string
param eventIdsContainerName string

@description('Time to live of a remembered client event id (seconds).')
@minValue(1)
param eventIdTimeToLiveSeconds int

@description('Shared provisioned throughput of the database (RU/s, at least 400); 0 makes the account serverless.')
@minValue(0)
param throughput int = 0

@description('False when the account is reached only through a private endpoint.')
param publicNetworkAccess bool = true

var serverless = throughput == 0

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  name: accountName
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    locations: [
      {
        locationName: location
        failoverPriority: 0
        isZoneRedundant: false
      }
    ]
    capabilities: serverless
      ? [
          {
            name: 'EnableServerless'
          }
        ]
      : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    publicNetworkAccess: publicNetworkAccess ? 'Enabled' : 'Disabled'
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: serverless
      ? {}
      : {
          throughput: throughput
        }
  }
}

resource users 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: usersContainerName
  properties: {
    resource: {
      id: usersContainerName
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
      }
    }
  }
}

resource items 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: itemsContainerName
  properties: {
    resource: {
      id: itemsContainerName
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
      }
    }
  }
}

resource eventIds 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: eventIdsContainerName
  properties: {
    resource: {
      id: eventIdsContainerName
      partitionKey: {
        paths: [
          '/id'
        ]
        kind: 'Hash'
      }
      // Ids are only needed while a client may still retry the same events.
      defaultTtl: eventIdTimeToLiveSeconds
    }
  }
}

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
