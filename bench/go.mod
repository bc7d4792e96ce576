module github.com/infidraw/infidraw/bench

go 1.26.0

require (
	github.com/infidraw/infidraw/gen v0.0.0
	github.com/infidraw/infidraw/realtime-go v0.0.0
	github.com/infidraw/infidraw/shared-go v0.0.0
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/vmihailenco/msgpack/v5 v5.4.1 // indirect
	github.com/vmihailenco/tagparser/v2 v2.0.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace (
	github.com/infidraw/infidraw/gen => ../gen
	github.com/infidraw/infidraw/realtime-go => ../realtime-go
	github.com/infidraw/infidraw/shared-go => ../shared-go
)
