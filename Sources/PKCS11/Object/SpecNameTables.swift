import CryptokiNames

extension ReturnCode { static let specNames = CryptokiNames.returnCodes }
extension MechanismType { static let specNames = CryptokiNames.mechanisms }
extension AttributeType { static let specNames = CryptokiNames.attributes }
extension KeyType { static let specNames = CryptokiNames.keyTypes }
extension ObjectClass { static let specNames = CryptokiNames.objectClasses }
