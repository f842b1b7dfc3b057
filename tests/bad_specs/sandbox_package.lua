-- expect: :2: 'package' is not available in specs
package.loaded.os.exit(0)
