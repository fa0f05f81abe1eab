// Cosmos DB for NoSQL: user state and the item catalog.
// Keys are disabled; the app's identity has data-plane rights only, so the database and containers are created here,
// with the partition keys the app uses (src/FuncRec.Azure/CosmosContainers.cs).
param accountName string
param location string
param tags object
param databaseName string
param usersContainerName string
param itemsContainerName string

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

// Every document is a wrapper {id, pk?, doc, updated} around a contract object. Indexing is opt-in: the app reads
// users by id only (point reads, which need no index) and lists items per bucket with
// `WHERE c.pk = @pk [AND c.updated >= @since]`, so only /pk and /updated are indexed; nothing under /doc is, which
// keeps the RU charge of every write low however large the documents grow.
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
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: []
        excludedPaths: [
          {
            path: '/*'
          }
        ]
      }
    }
  }
}

// Items live in 16 hash buckets (pk = "b0".."b15", src/FuncRec.Azure/ItemPartitions.cs): point operations know the
// bucket from the id, and listing the catalog is 16 single-partition queries.
resource items 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = {
  parent: database
  name: itemsContainerName
  properties: {
    resource: {
      id: itemsContainerName
      partitionKey: {
        paths: [
          '/pk'
        ]
        kind: 'Hash'
        version: 2
      }
      indexingPolicy: {
        indexingMode: 'consistent'
        automatic: true
        includedPaths: [
          {
            path: '/pk/?'
          }
          {
            path: '/updated/?'
          }
        ]
        excludedPaths: [
          {
            path: '/*'
          }
        ]
      }
    }
  }
}

output name string = account.name
output id string = account.id
output endpoint string = account.properties.documentEndpoint
output databaseName string = database.name
