module github.com/infidraw/infidraw/tile-delta-go

go 1.26.0

require (
	github.com/infidraw/infidraw/gen v0.0.0
	github.com/infidraw/infidraw/shared-go v0.0.0
)

replace (
	github.com/infidraw/infidraw/gen => ../gen
	github.com/infidraw/infidraw/shared-go => ../shared-go
)
